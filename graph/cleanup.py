"""`reelforge cleanup`: delete old runs' folders, checkpoint threads and index rows; never gallery entries."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.model_status import parse_since
from tools.errors import BadInput
from tools.home import RunBusy, run_lock
from tools.run_folders import freed_bytes, remove_folder

if TYPE_CHECKING:
    from rich.console import RenderableType

    # Only for annotations: `costs --since` checks its span here without loading the run service.
    from graph.runs import SyncRunService

_EVERY_RUN = 1_000_000_000


@dataclass(frozen=True)
class OldRun:
    """A run last updated before the cutoff, what deleting it frees, and whether the gallery has its video."""

    run_id: str
    thread_id: str
    status: str
    updated_at: str
    bytes: int
    published: bool


def cutoff_of(older_than: str, now: float | None = None, flag: str = "--older-than") -> float:
    """`--older-than` (30d, 12h, 2w or a date) as a Unix time; BadInput naming the flag.

    `costs --since` takes the same spans and passes its own `flag`.
    """
    shown = older_than if len(older_than) <= 40 else older_than[:39] + "…"
    examples = "7d, 12h, 30m, 2w" if flag == "--since" else "30d, 12h, 2w"
    try:
        cutoff = parse_since(older_than, now)
        # The index and the ledger compare dates: a span beyond the calendar must fail here, in one line.
        datetime.fromtimestamp(cutoff, UTC)
    except BadInput:
        raise BadInput(f"cannot read {flag} '{shown}'; use {examples} or a date like 2026-11-01") from None
    except (ValueError, OverflowError, OSError):
        raise BadInput(
            f"{flag} '{shown}' reaches back before the calendar starts; use a shorter span such as "
            f"{examples.split(',')[0]}, or a date like 2026-11-01"
        ) from None
    return cutoff


def find_old_runs(runs: SyncRunService, cutoff: float) -> list[OldRun]:
    """Runs last updated before `cutoff` (Unix time), oldest first; runs still running are never listed.

    A run marked running whose process is gone reads as stopped, so it is cleaned up like any other.
    """
    settings = runs.services.settings
    moment = datetime.fromtimestamp(cutoff, UTC)
    old = [
        OldRun(
            run_id=record.run_id,
            thread_id=record.thread_id,
            status=record.status,
            updated_at=record.updated_at,
            bytes=freed_bytes(settings.run_dir(record.run_id)),
            published=(settings.gallery / record.run_id).is_dir(),
        )
        for record in runs.list_runs(_EVERY_RUN)
        if record.status != "running" and datetime.fromisoformat(record.updated_at) < moment
    ]
    return sorted(old, key=lambda run: run.updated_at)


def remove_run(runs: SyncRunService, run: OldRun) -> bool:
    """Delete a run's checkpoint thread, events, folder and index row; False if a process is working on it."""
    services = runs.services
    run_dir = services.settings.run_dir(run.run_id)
    try:
        # Holding the folder's lock means no process on this machine (or the shared home) runs it; the
        # thread lock says the same for every machine on the same Redis.
        with run_lock(run_dir):
            record = services.runs.get(run.run_id)
            if record is None or services.thread_lock_held(record.thread_id):
                return False
            # The index row goes last: a cleanup stopped half-way still lists the run and ends it next time.
            if services.has_checkpoints():
                services.saver.delete_thread(record.thread_id)
            services.event_log(run.run_id).delete()
            remove_folder(run_dir)
            services.runs.delete(run.run_id)
    except RunBusy:
        return False
    return True


def cleanup(
    runs: SyncRunService, older_than: str = "30d", *, keep_published: bool = False, dry_run: bool = False
) -> dict[str, Any]:
    """Remove (or with `dry_run`, list) runs older than `older_than`; return what went and the bytes freed."""
    cutoff = cutoff_of(older_than)
    old = find_old_runs(runs, cutoff)
    kept = [run for run in old if keep_published and run.published]
    chosen = [run for run in old if run not in kept]
    busy: list[str] = []
    if not dry_run and chosen:
        removed = [run for run in chosen if remove_run(runs, run)]
        busy = [run.run_id for run in chosen if run not in removed]
        chosen = removed
    return {
        "older_than": older_than,
        "cutoff": datetime.fromtimestamp(cutoff, UTC).isoformat(timespec="seconds"),
        "dry_run": dry_run,
        "runs": [asdict(run) for run in chosen],
        "bytes": sum(run.bytes for run in chosen),
        "kept_published": [run.run_id for run in kept],
        "busy": busy,
    }


def _size(count: int) -> str:
    value, unit = float(count), "B"
    for bigger in ("KB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_cleanup(report: dict[str, Any]) -> RenderableType:
    """A rich table of the runs removed (or that would be), with the space freed."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    verb = "Would remove" if report["dry_run"] else "Removed"
    table = Table(
        "run id", "status", "updated", "size", "in gallery", title=f"{verb}: runs before {report['cutoff']}"
    )
    for run in report["runs"]:
        table.add_row(
            run["run_id"],
            run["status"],
            run["updated_at"],
            _size(run["bytes"]),
            "yes" if run["published"] else "",
        )
    freed = "freeing" if report["dry_run"] else "freed"
    lines = [
        f"{verb} {_count(len(report['runs']), 'run')}, {freed} {_size(report['bytes'])}.",
        "Gallery entries are never deleted.",
    ]
    if report["kept_published"]:
        lines.append(f"Kept {_count(len(report['kept_published']), 'published run')} (--keep-published).")
    if report["busy"]:
        lines.append(f"Skipped runs another process is working on: {', '.join(report['busy'])}.")
    return Group(table, Text(" ".join(lines)))
