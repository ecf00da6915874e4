"""The usage ledger and health log in SQLite: one row per model call and per health check."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.storage.ledger_records import (
    LATENCY_BOUNDS_S,
    CallStats,
    CostRow,
    GroupBy,
    HealthRecord,
    UsageRecord,
)
from tools.storage.sqlite_connection import sqlite_connection

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS usage (
        id          INTEGER PRIMARY KEY,
        ts          REAL NOT NULL,
        run_id      TEXT NOT NULL,
        node        TEXT NOT NULL,
        capability  TEXT NOT NULL,
        provider    TEXT NOT NULL,
        tier        TEXT NOT NULL,
        model       TEXT NOT NULL,
        tokens_in   INTEGER NOT NULL,
        tokens_out  INTEGER NOT NULL,
        images      INTEGER NOT NULL,
        audio_s     REAL NOT NULL,
        wall_ms     REAL NOT NULL,
        cost_usd    REAL NOT NULL,
        premium_usd REAL NOT NULL,
        ok          INTEGER NOT NULL,
        error_class TEXT NOT NULL,
        error       TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS usage_run ON usage (run_id)",
    "CREATE INDEX IF NOT EXISTS usage_ts ON usage (ts)",
    """
    CREATE TABLE IF NOT EXISTS health (
        id          INTEGER PRIMARY KEY,
        ts          REAL NOT NULL,
        provider    TEXT NOT NULL,
        capability  TEXT NOT NULL,
        tier        TEXT NOT NULL,
        endpoint    TEXT NOT NULL,
        healthy     INTEGER NOT NULL,
        latency_ms  REAL NOT NULL,
        models      TEXT NOT NULL,
        error       TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS health_provider ON health (provider, capability, ts)",
)

_GROUP_SQL: dict[str, str] = {
    "provider": "provider",
    "day": "date(ts, 'unixepoch')",
    "run": "run_id",
}


class UsageLedger:
    """Reads and writes `<home>/ledger.sqlite`; safe to share between the threads of a run."""

    def __init__(self, path: Path) -> None:
        """Open (and create if needed) the ledger at `path`."""
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                conn.execute(statement)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_connection(self.path)

    def record(self, usage: UsageRecord) -> None:
        """Append one call."""
        row = asdict(usage)
        columns = ", ".join(row)
        with self._lock, self._connect() as conn:
            conn.execute(
                f"INSERT INTO usage ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values())
            )

    def usage(self, run_id: str | None = None, since: float | None = None) -> list[UsageRecord]:
        """Calls, oldest first, for one run and/or since a time."""
        where, params = _filters(run_id, since)
        names = [f for f in UsageRecord.__dataclass_fields__]
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(names)} FROM usage{where} ORDER BY ts, id", params
            ).fetchall()
        return [
            UsageRecord(**{**dict(zip(names, row, strict=True)), "ok": bool(row[names.index("ok")])})
            for row in rows
        ]

    def costs(self, by: GroupBy = "provider", since: float | None = None) -> list[CostRow]:
        """Totals grouped by provider, day (UTC) or run, largest cost first."""
        key = _GROUP_SQL[by]
        where, params = _filters(None, since)
        sql = (
            f"SELECT {key}, COUNT(*), SUM(1 - ok), SUM(cost_usd), SUM(premium_usd), "
            f"SUM(CASE WHEN tier = 'self-hosted' AND ok = 1 THEN 1 ELSE 0 END) "
            f"FROM usage{where} GROUP BY {key} ORDER BY {'1' if by == 'day' else '4 DESC, 1'}"
        )
        with self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [CostRow(str(r[0]), int(r[1]), int(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in rows]

    def call_stats(
        self, since: float | None = None, bounds: tuple[float, ...] = LATENCY_BOUNDS_S
    ) -> list[CallStats]:
        """Calls, failures and wall time per provider and capability, with latency bucket counts."""
        where, params = _filters(None, since)
        buckets = "".join(", SUM(CASE WHEN wall_ms <= ? THEN 1 ELSE 0 END)" for _ in bounds)
        sql = (
            f"SELECT provider, capability, COUNT(*), SUM(1 - ok), SUM(wall_ms){buckets} "
            f"FROM usage{where} GROUP BY provider, capability ORDER BY provider, capability"
        )
        with self._connect() as conn:
            rows = conn.execute(sql, [bound * 1000.0 for bound in bounds] + params).fetchall()
        return [
            CallStats(r[0], r[1], int(r[2]), int(r[3]), float(r[4]) / 1000.0, tuple(int(n) for n in r[5:]))
            for r in rows
        ]

    def record_health(self, check: HealthRecord) -> HealthRecord | None:
        """Append one health check; return the previous check of the same provider and capability."""
        row = {**asdict(check), "models": json.dumps(check.models)}
        with self._lock, self._connect() as conn:
            previous = self.latest_health().get((check.provider, check.capability))
            conn.execute(
                f"INSERT INTO health ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        return previous

    def latest_health(self) -> dict[tuple[str, str], HealthRecord]:
        """The newest check of each (provider, capability)."""
        sql = (
            "SELECT provider, capability, tier, endpoint, healthy, latency_ms, models, error, MAX(ts) "
            "FROM health GROUP BY provider, capability"
        )
        with self._connect() as conn:
            rows = conn.execute(sql).fetchall()
        return {
            (r[0], r[1]): HealthRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], json.loads(r[6]), r[7], r[8])
            for r in rows
        }


def _filters(run_id: str | None, since: float | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if run_id is not None:
        clauses.append("run_id = ?")
        params.append(run_id)
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
