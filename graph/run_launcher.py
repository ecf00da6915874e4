"""RunLauncher: how the long-lived doors (the API, chat, MCP) start work without waiting for it.

Every verb checks its input first, through the run service, so a bad request fails at once with nothing
started. The work itself then goes to the Celery workers when Redis is configured, and otherwise to a
bounded pool of threads in this process, each with its own event loop (as a worker has). Either way a
follower reads the same events from the run's event log.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog

from graph.runs import RunOutcome, RunService, run_loop
from state import JobSpec
from tools.errors import first_line
from tools.secrets import redact
from tools.storage.run_records import RunRecord

_log = structlog.get_logger("reelforge.launcher")
# In-process runs at once when no workers take them: each renders on every core, so more only queue.
DEFAULT_RUNS_AT_ONCE = 2
# How much lower than the serving threads a run executes (added to the nice value): the threads and the
# ffmpeg and voice processes a run starts inherit it, so on a busy machine a video takes longer, not every
# request.
RUN_NICENESS = 10


class RunLauncher:
    """Submit, resume, answer and regenerate runs in the background: on the workers, or in a local pool."""

    def __init__(self, service: RunService, runs_at_once: int = DEFAULT_RUNS_AT_ONCE) -> None:
        """Start runs of `service`; without Redis, at most `runs_at_once` execute here at a time."""
        self.service = service
        self.on_workers = service.services.uses_redis
        self._pool = ThreadPoolExecutor(max(1, runs_at_once), thread_name_prefix="reelforge-run")
        self._lock = threading.Lock()
        self._running: set[str] = set()

    @property
    def waiting_here(self) -> int:
        """Runs accepted by this process's pool that have not started yet (its queue depth)."""
        with self._lock:
            return len(self.service.accepted - self._running)

    @property
    def running_here(self) -> int:
        """Runs executing in this process now."""
        with self._lock:
            return len(self._running)

    async def start(self, job: JobSpec, *, run_id: str | None = None) -> RunRecord:
        """Check and record a new run, then start it; its record, queued."""
        record = await self.service.submit(job, run_id=run_id, queue=self.on_workers)
        if not self.on_workers:
            self._spawn(record.run_id, lambda: self.service.execute(record.run_id))
        return self.service.record(record.run_id)

    async def resume(self, run_id: str) -> RunRecord:
        """Continue a stopped or failed run where it stopped."""
        record = await self.service.check_resumable(run_id)
        if self.on_workers or record.place == "queue":
            self.service.requeue(run_id)
        else:
            self._spawn(run_id, lambda: self.service.execute(run_id), "resume")
        return self.service.record(run_id)

    async def answer(
        self, run_id: str, decision: str, *, script: dict[str, Any] | None = None, reason: str = ""
    ) -> RunRecord:
        """Answer the gate the run waits at, then let it go on."""
        answer = await self.service.check_answer(run_id, decision, script=script, reason=reason)
        if self.on_workers or self.service.record(run_id).place == "queue":
            self.service.requeue(run_id, answer)
        else:
            self._spawn(run_id, lambda: self.service.execute(run_id, answer=answer), "answer")
        return self.service.record(run_id)

    async def regenerate(
        self, run_id: str, scene: int, *, narration: str | None = None, visual: str | None = None
    ) -> RunRecord:
        """Make one scene again and recompose the video (see RunService.regen)."""
        await self.service.fork_regen(run_id, scene, narration=narration, visual=visual)
        if self.on_workers:
            self.service.requeue(run_id)
        else:
            self._spawn(run_id, lambda: self.service.execute(run_id), f"scene {scene} remake")
        return self.service.record(run_id)

    def _spawn(self, run_id: str, work: Callable[[], Awaitable[RunOutcome]], what: str | None = None) -> None:
        """Run `work` in the pool; `what` (an answer, a resume) is first recorded as queued here."""
        with self._lock:
            self.service.accepted.add(run_id)
        if what is not None:
            self.service.mark_queued(run_id, f"{what} queued here", "local")
        self._pool.submit(self._run, run_id, work)

    def _run(self, run_id: str, work: Callable[[], Awaitable[RunOutcome]]) -> None:
        _render_below_the_doors()
        with self._lock:
            self._running.add(run_id)
        try:
            with asyncio.Runner(loop_factory=run_loop) as runner:
                runner.run(work())  # type: ignore[arg-type]
        except Exception as exc:
            # The run service recorded the failure and its event; a pool thread has no one to tell.
            _log.warning("background_run_failed", run_id=run_id, error=redact(first_line(exc)))
        finally:
            with self._lock:
                self._running.discard(run_id)
                self.service.accepted.discard(run_id)

    def close(self, wait: bool = False) -> None:
        """Stop taking runs; with `wait`, let the ones running here finish."""
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _render_below_the_doors() -> None:
    """Lower this pool thread's CPU priority by RUN_NICENESS (on Linux, where a thread has its own)."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        lower = min(19, os.getpriority(os.PRIO_PROCESS, thread) + RUN_NICENESS)
        os.setpriority(os.PRIO_PROCESS, thread, lower)
    except OSError:  # not allowed here: run at the server's priority
        pass
