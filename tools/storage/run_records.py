"""What the run index records about a run, and the statuses a run moves through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.errors import BadInput

# queued → running → waiting | done | failed | stopped | rejected; a waiting or stopped run runs again.
RUN_STATUSES = ("queued", "running", "waiting", "done", "failed", "stopped", "rejected")
# Where a run executes: in the process that asked for it, or on the Celery workers.
RUN_PLACES = ("local", "queue")
# Rows written before the run service named it "stopped".
_LEGACY_STATUSES = {"interrupted": "stopped"}


def stored_status(status: str) -> str:
    """A status as read from a store, with older names mapped to the current ones."""
    return _LEGACY_STATUSES.get(status, status)


def check_status(status: str) -> str:
    """`status` if it is one a run can have; ValueError otherwise (a programming error, not bad input)."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    return status


class RunExists(BadInput):
    """A run with this id is already in the index (SQLite or Redis)."""

    def __init__(self, run_id: str) -> None:
        """Name the taken run id and say what to do instead."""
        super().__init__(f"run id {run_id!r} is taken; pick another --run-id or 'reelforge resume {run_id}'")
        self.run_id = run_id


@dataclass(frozen=True)
class RunRecord:
    """One row of the run index."""

    run_id: str
    thread_id: str
    topic: str
    status: str
    created_at: str
    updated_at: str
    job: dict[str, Any]
    video: str | None
    error: str | None
    # "local" (the asking process runs it) or "queue" (a worker does); answers to gates go the same way.
    place: str = "local"
    # The gate a waiting run stopped at ("script", "publish"), else None.
    gate: str | None = None
