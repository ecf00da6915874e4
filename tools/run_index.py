"""The run index: one row per run in SQLite beside the checkpoints, so `runs` and `show` are instant."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.errors import BadInput
from tools.sqlite_connection import sqlite_connection

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    thread_id  TEXT NOT NULL,
    topic      TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    job        TEXT NOT NULL,
    video      TEXT,
    error      TEXT
)
"""

# "queued": waiting in Redis for a worker (make --queue, daily --queue).
STATUSES = ("queued", "running", "interrupted", "failed", "done")


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunIndex:
    """Reads and writes the run index in `<home>/index.sqlite`."""

    def __init__(self, path: Path) -> None:
        """Open (and create if needed) the index at `path`."""
        self.path = path
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_connection(self.path)

    def create(self, run_id: str, thread_id: str, topic: str, job: dict[str, Any]) -> None:
        """Add a new run in the running state; raise RunExists if the id is taken."""
        now = _now()
        try:
            with self._connect() as conn:
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, 'running', ?, ?, ?, NULL, NULL)",
                    (run_id, thread_id, topic, now, now, json.dumps(job)),
                )
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            raise RunExists(run_id) from None

    def set_status(
        self, run_id: str, status: str, *, video: str | None = None, error: str | None = None
    ) -> None:
        """Move a run to `status`, keeping the video path once one is known."""
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, updated_at = ?, video = COALESCE(?, video), error = ? "
                "WHERE run_id = ?",
                (status, _now(), video, error, run_id),
            )

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _record(row) if row else None

    def delete(self, run_id: str) -> None:
        """Forget one run; a missing run is not an error."""
        with self._connect() as conn:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

    def list(self, limit: int = 50) -> list[RunRecord]:
        """Return the newest runs first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_record(row) for row in rows]


def _record(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        thread_id=row[1],
        topic=row[2],
        status=row[3],
        created_at=row[4],
        updated_at=row[5],
        job=json.loads(row[6]),
        video=row[7],
        error=row[8],
    )
