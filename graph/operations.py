"""Operations: what the API, the chat agent and the MCP server can do, each returning plain JSON.

One thin layer over the run service and the launcher, so the three doors offer the same verbs with the
same checks: make a video (from a chat line or from fields), list, show and follow runs, answer a gate,
regenerate a scene, provider status and costs.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import structlog

from agents.planning import parse_fields
from graph.model_status import cost_report, provider_status
from graph.preflight import validate_job
from graph.run_launcher import RunLauncher
from graph.runs import ACTIVE, RunService
from state import JobSpec, RunEvent
from state.sources import Source, is_local, is_remote_url
from tools.addresses import check_public_url
from tools.errors import BadInput, InvalidField, first_line
from tools.secrets import redact
from tools.storage.ledger_records import GroupBy
from tools.storage.run_records import RunRecord

_log = structlog.get_logger("reelforge.operations")

# Provider checks probe every server; doors polling the status share one answer for this long.
STATUS_TTL_S = 5.0
# A run's view reads its checkpoints (~20 ms); dashboards polling a running run share one for this long.
VIEW_TTL_S = 1.0
_VIEWS_KEPT = 256
GROUPS: tuple[str, ...] = ("provider", "day", "run")


class UnknownRun(BadInput):
    """No run has this id (the API answers 404)."""


class Operations:
    """The doors' verbs over one run service and its launcher."""

    def __init__(self, service: RunService, launcher: RunLauncher, *, any_file: bool = False) -> None:
        """Use `service` to read and check runs, and `launcher` to start them. `any_file`: the door is
        the machine's own user (the terminal chat, MCP over stdio), so sources and music may be any file
        they can read; otherwise (HTTP) only files under `<home>/sources`."""
        self.service = service
        self.launcher = launcher
        self.settings = service.settings
        self.any_file = any_file
        self._status: tuple[float, dict[str, Any]] | None = None
        self._checking = threading.Lock()
        # run id → (when, the record's state it was read at, the view)
        self._views: dict[str, tuple[float, tuple[Any, ...], dict[str, Any]]] = {}
        self._reading: dict[str, tuple[tuple[Any, ...], asyncio.Task[dict[str, Any]]]] = {}

    # ---- making ----------------------------------------------------------------------------------------

    def job_of(self, request: str | None = None, **fields: Any) -> JobSpec:
        """The job for a chat line (`request`, read by the rule parser) or for JobRequest fields; given both,
        the fields override what the line says. InvalidField naming the first problem."""
        if request is not None:
            fields = {**parse_fields(request), **fields}
        job = validate_job(**fields)
        sources: list[Source] = []
        for source in job["sources"]:
            if is_local(source):
                source = {"kind": source["kind"], "ref": self._file(source["ref"], "sources")}
            elif is_remote_url(source) and not self.settings.allow_private_sources:
                check_public_url(source["ref"])
            sources.append(source)
        music = self._file(job["music"], "music") if job["music"] is not None else None
        return {**job, "sources": sources, "music": music}

    @property
    def files_folder(self) -> Path:
        """Where a caller over the network may name files from: `<home>/sources`."""
        return self.settings.home / "sources"

    def _file(self, given: str, field: str) -> str:
        """The absolute path of a file a caller named. A network door takes only files under
        `<home>/sources` (relative paths are read there): a caller must not make the server read, and
        then speak or show, any file it can read."""
        path = Path(given).expanduser()
        if self.any_file:
            return str(path.absolute())
        folder = self.files_folder.resolve()
        resolved = (path if path.is_absolute() else folder / path).resolve()
        if not resolved.is_relative_to(folder):
            raise InvalidField(
                field, f"this server reads files only from {folder}; put {path.name!r} there or give a URL"
            )
        return str(resolved)

    async def make_video(
        self, request: str | None = None, *, run_id: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Start a video from a chat line or JobRequest fields; the new run's record (queued)."""
        job = self.job_of(request, **fields)
        return _record(await self.launcher.start(job, run_id=run_id))

    # ---- reading ---------------------------------------------------------------------------------------

    def require_run(self, run_id: str) -> RunRecord:
        """The run's record; UnknownRun (the API's 404) unless a run has this id."""
        record = self.service.find(run_id)
        if record is None:
            raise UnknownRun(f"no run called {run_id!r}; list the runs to see their ids")
        return record

    def list_runs(self, limit: int = 20, status: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first (optionally only those with `status`)."""
        records = self.service.list_runs(limit if status is None else max(limit, 500))
        rows = [_record(record) for record in records if status is None or record.status == status]
        return rows[:limit]

    async def show_run(self, run_id: str) -> dict[str, Any]:
        """Everything `show --json` prints for a run. Callers share one reading of its checkpoints: a
        settled run's until its record changes (an answer, a resume, a regeneration), a running one's
        for VIEW_TTL_S (its live progress is in its events)."""
        record = self.require_run(run_id)
        state = (record.status, record.updated_at, record.video, record.gate, record.error)
        now = time.monotonic()
        kept = self._views.get(run_id)
        if (
            kept is not None
            and kept[1] == state
            and (record.status not in ACTIVE or now - kept[0] < VIEW_TTL_S)
        ):
            return copy.deepcopy(kept[2])
        view = await self._read_view(run_id, state)
        self._views.pop(run_id, None)
        self._views[run_id] = (now, state, view)
        while len(self._views) > _VIEWS_KEPT:
            self._views.pop(next(iter(self._views)), None)
        return copy.deepcopy(view)

    async def _read_view(self, run_id: str, state: tuple[Any, ...]) -> dict[str, Any]:
        """The run's view; callers on this event loop asking for the same state join one reading."""
        loop = asyncio.get_running_loop()
        joined = self._reading.get(run_id)
        if joined is not None and joined[0] == state and joined[1].get_loop() is loop:
            return await asyncio.shield(joined[1])
        reading = loop.create_task(self.service.view(run_id))
        self._reading[run_id] = (state, reading)
        try:
            # Shielded: a caller that hangs up does not cancel the reading others wait for.
            return await asyncio.shield(reading)
        finally:
            if self._reading.get(run_id, (None, None))[1] is reading:
                del self._reading[run_id]

    async def follow(self, run_id: str, after: int = 0, *, poll_s: float = 0.5) -> AsyncIterator[RunEvent]:
        """The run's events after `after`, then live until it settles (done, failed, stopped, rejected,
        waiting). Polls without holding a thread, so many followers can wait at once."""
        import asyncio

        self.require_run(run_id)
        cursor = self.service.follower(run_id, after)
        while True:
            batch, settled = await asyncio.to_thread(cursor.next_batch, 0.0)
            for event in batch:
                yield event
            if settled:
                return
            await asyncio.sleep(poll_s)

    # ---- acting ----------------------------------------------------------------------------------------

    async def resume(self, run_id: str) -> dict[str, Any]:
        """Continue a stopped or failed run where it stopped."""
        self.require_run(run_id)
        return _record(await self.launcher.resume(run_id))

    async def approve(self, run_id: str, script: dict[str, Any] | None = None) -> dict[str, Any]:
        """Approve the gate the run waits at (at the script gate, optionally with an edited script)."""
        self.require_run(run_id)
        return _record(await self.launcher.answer(run_id, "approve", script=script))

    async def reject(self, run_id: str, reason: str = "") -> dict[str, Any]:
        """Reject the gate the run waits at; the run ends as rejected."""
        self.require_run(run_id)
        return _record(await self.launcher.answer(run_id, "reject", reason=reason))

    async def regenerate_scene(
        self, run_id: str, scene: int, *, narration: str | None = None, visual: str | None = None
    ) -> dict[str, Any]:
        """Make one scene again (new words or picture description optional) and a new video version."""
        self.require_run(run_id)
        return _record(await self.launcher.regenerate(run_id, scene, narration=narration, visual=visual))

    # ---- the machine -----------------------------------------------------------------------------------

    def providers(self, *, fresh: bool = False) -> dict[str, Any]:
        """Every provider's health and the overall mode (SELF-HOSTED, CLOUD, FREE or OFFLINE); checked at
        most every STATUS_TTL_S seconds unless `fresh`. Probing takes up to a second, so once there is an
        answer, pollers get it at once while one check renews it in the background."""
        kept = self._status
        if fresh or kept is None:
            with self._checking:
                if not fresh and self._status is not None:
                    return self._status[1]
                return self._check()
        if time.monotonic() - kept[0] > STATUS_TTL_S and self._checking.acquire(blocking=False):
            threading.Thread(target=self._check_in_background, name="reelforge-status", daemon=True).start()
        return kept[1]

    def _check(self) -> dict[str, Any]:
        status = provider_status(self.service.services)
        self._status = (time.monotonic(), status)
        return status

    def _check_in_background(self) -> None:
        try:
            self._check()
        except Exception as exc:  # the answer kept stands; the next poll after the TTL tries again
            _log.warning("provider_check_failed", error=redact(first_line(exc)))
        finally:
            self._checking.release()

    def costs(self, since: str = "7d", by: str = "provider") -> dict[str, Any]:
        """Usage and cost from the ledger since `since` (7d, 12h, a date), grouped by provider, day or run."""
        if by not in GROUPS:
            raise BadInput(f"cannot group by '{by}'; use provider, day or run")
        from graph.cleanup import cutoff_of

        cutoff_of(since, flag="since")
        group: GroupBy = by  # type: ignore[assignment]
        return cost_report(self.service.services, since, group)


def _record(record: Any) -> dict[str, Any]:
    return asdict(record)
