"""The run index in SQLite beside the checkpoints: one row per run, so `runs` and `show` are instant."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.storage.run_records import RunExists, RunRecord, check_status, stored_status
from tools.storage.sqlite_connection import sqlite_connection

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
    error      TEXT,
    place      TEXT NOT NULL DEFAULT 'local',
    gate       TEXT
)
"""
# Publications by idempotency key: the intent (pending) first, then its outcome in its place.
_PUBLICATIONS = """
CREATE TABLE IF NOT EXISTS publications (
    run_id     TEXT NOT NULL,
    key        TEXT NOT NULL,
    record     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
)
"""
# Columns added since the first release, so an older index.sqlite keeps its runs.
_ADDED_COLUMNS = {"place": "TEXT NOT NULL DEFAULT 'local'", "gate": "TEXT"}
_COLUMNS = "run_id, thread_id, topic, status, created_at, updated_at, job, video, error, place, gate"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunIndex:
    """Reads and writes the run index in `<home>/index.sqlite`."""

    def __init__(self, path: Path) -> None:
        """Open (and create or upgrade if needed) the index at `path`."""
        self.path = path
        with self._connect() as conn:
            conn.execute(_SCHEMA)
            conn.execute(_PUBLICATIONS)
            present = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_connection(self.path)

    def create(
        self,
        run_id: str,
        thread_id: str,
        topic: str,
        job: dict[str, Any],
        *,
        status: str = "queued",
        place: str = "local",
    ) -> None:
        """Add a new run; raise RunExists if the id is taken."""
        now = _now()
        try:
            with self._connect() as conn:
                conn.execute(
                    f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL)",
                    (run_id, thread_id, topic, check_status(status), now, now, json.dumps(job), place),
                )
        except sqlite3.IntegrityError as exc:
            if exc.sqlite_errorname != "SQLITE_CONSTRAINT_PRIMARYKEY":
                raise
            raise RunExists(run_id) from None

    def set_status(
        self,
        run_id: str,
        status: str,
        *,
        video: str | None = None,
        error: str | None = None,
        gate: str | None = None,
    ) -> None:
        """Move a run to `status`, keeping the video path once one is known; error and gate are replaced."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, updated_at = ?, video = COALESCE(?, video), error = ?, gate = ? "
                "WHERE run_id = ?",
                (check_status(status), _now(), video, error, gate, run_id),
            )

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run, or None."""
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _record(row) if row else None

    def delete(self, run_id: str) -> None:
        """Forget one run; a missing run is not an error."""
        with self._connect() as conn:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM publications WHERE run_id = ?", (run_id,))

    def record_publication(self, run_id: str, publication: dict[str, Any]) -> None:
        """Record a publication (or its intent) under its idempotency key; the newest record wins."""
        key = str(publication.get("key") or f"{publication['target']}:{publication.get('id', '')}")
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO publications (run_id, key, record, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, key) "
                "DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
                (run_id, key, json.dumps(publication), _now()),
            )

    def publications(self, run_id: str) -> list[dict[str, Any]]:
        """A run's publications and pending intents, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT record FROM publications WHERE run_id = ? ORDER BY rowid", (run_id,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def list(self, limit: int = 50) -> list[RunRecord]:
        """Return the newest runs first (a negative limit means all)."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_record(row) for row in rows]


def _record(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        thread_id=row[1],
        topic=row[2],
        status=stored_status(row[3]),
        created_at=row[4],
        updated_at=row[5],
        job=json.loads(row[6]),
        video=row[7],
        error=row[8],
        place=row[9] or "local",
        gate=row[10],
    )
