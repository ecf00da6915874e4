"""What the usage ledger and health log record: one model call, one health check, totals per group."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

GroupBy = Literal["provider", "day", "run"]
# Upper bounds (seconds) of the call-latency buckets `call_stats` counts: local cards take milliseconds,
# a cloud image or a long narration tens of seconds.
LATENCY_BOUNDS_S: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class UsageRecord:
    """One model call: who served it, what it used, what it cost, and whether it worked."""

    run_id: str
    node: str
    capability: str
    provider: str
    tier: str
    model: str
    ok: bool
    wall_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    images: int = 0
    audio_s: float = 0.0
    cost_usd: float = 0.0
    premium_usd: float = 0.0
    error_class: str = ""
    error: str = ""
    ts: float = field(default_factory=time.time)


@dataclass(frozen=True)
class HealthRecord:
    """One health check of one provider for one capability."""

    provider: str
    capability: str
    tier: str
    endpoint: str
    healthy: bool
    latency_ms: float
    models: list[str]
    error: str
    ts: float = field(default_factory=time.time)


@dataclass(frozen=True)
class CostRow:
    """Totals for one group (a provider, a day or a run)."""

    key: str
    calls: int
    failures: int
    cost_usd: float
    premium_usd: float
    self_hosted_calls: int

    @property
    def savings_usd(self) -> float:
        """What the premium tier would have charged, less what was paid."""
        return self.premium_usd - self.cost_usd


@dataclass(frozen=True)
class CallStats:
    """Calls of one provider for one capability: how many, how many failed, and how long they took."""

    provider: str
    capability: str
    calls: int
    failures: int
    # Wall time of all the calls together.
    seconds: float
    # Cumulative: calls that took at most each bound of the query's bounds (Prometheus's `le` buckets).
    buckets: tuple[int, ...]
