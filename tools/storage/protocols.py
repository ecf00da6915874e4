"""The run index, usage ledger and event log as protocols: graph code takes SQLite, files or Redis alike."""

from __future__ import annotations

from typing import Any, Protocol

from state.events import EventDraft, RunEvent
from tools.storage.ledger_records import (
    LATENCY_BOUNDS_S,
    CallStats,
    CostRow,
    GroupBy,
    HealthRecord,
    UsageRecord,
)
from tools.storage.run_records import RunRecord


class RunIndexStore(Protocol):
    """One record per run: what `runs`, `show` and the dashboard read."""

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
        ...

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
        ...

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run, or None."""
        ...

    def delete(self, run_id: str) -> None:
        """Forget one run; a missing run is not an error."""
        ...

    def record_publication(self, run_id: str, publication: dict[str, Any]) -> None:
        """Record a publication (or its intent) under its idempotency key; the newest record wins."""
        ...

    def publications(self, run_id: str) -> list[dict[str, Any]]:
        """A run's publications and pending intents, oldest first."""
        ...

    # Last, because inside the class body the name `list` would otherwise shadow the builtin.
    def list(self, limit: int = 50) -> list[RunRecord]:
        """Return the newest runs first."""
        ...


class LedgerStore(Protocol):
    """The usage ledger and health log of the model router."""

    def record(self, usage: UsageRecord) -> None:
        """Append one call."""
        ...

    def usage(self, run_id: str | None = None, since: float | None = None) -> list[UsageRecord]:
        """Calls, oldest first, for one run and/or since a time."""
        ...

    def costs(self, by: GroupBy = "provider", since: float | None = None) -> list[CostRow]:
        """Totals grouped by provider, day (UTC) or run, largest cost first (days in date order)."""
        ...

    def call_stats(
        self, since: float | None = None, bounds: tuple[float, ...] = LATENCY_BOUNDS_S
    ) -> list[CallStats]:
        """Calls, failures and wall time per provider and capability, with latency bucket counts."""
        ...

    def record_health(self, check: HealthRecord) -> HealthRecord | None:
        """Append one health check; return the previous check of the same provider and capability."""
        ...

    def latest_health(self) -> dict[tuple[str, str], HealthRecord]:
        """The newest check of each (provider, capability)."""
        ...


class EventLog(Protocol):
    """One run's events, numbered from 1 across all its attempts."""

    def append(self, draft: EventDraft) -> RunEvent:
        """Number, stamp and store one event; return it as stored."""
        ...

    def read(self, after: int = 0, wait_s: float = 0.0) -> list[RunEvent]:
        """Events numbered above `after`, oldest first; wait up to `wait_s` for the first one."""
        ...

    def delete(self) -> None:
        """Remove every event of the run."""
        ...
