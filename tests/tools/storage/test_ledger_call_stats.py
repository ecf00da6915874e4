"""call_stats (what /metrics reads for provider calls and latency) agrees in SQLite and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tools.storage.ledger_records import LATENCY_BOUNDS_S, CallStats, UsageRecord
from tools.storage.protocols import LedgerStore
from tools.storage.redis_ledger import RedisUsageLedger
from tools.storage.sqlite_ledger import UsageLedger

T0 = 1_790_000_000.0


@pytest.fixture(params=["sqlite", "redis", "redis-bytes"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> LedgerStore:
    """The same store, three ways: SQLite, Redis with text replies, Redis with raw byte replies."""
    if request.param == "sqlite":
        return UsageLedger(tmp_path / "home" / "ledger.sqlite")
    prefix = request.getfixturevalue("prefix")
    client = request.getfixturevalue("redis_client")
    if request.param == "redis-bytes":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        request.addfinalizer(client.close)
    return RedisUsageLedger(client, prefix=prefix)


def call(provider: str, capability: str, wall_ms: float, ok: bool = True, ts: float = T0) -> UsageRecord:
    return UsageRecord(
        run_id="make:bees-1",
        node="make_scene",
        capability=capability,
        provider=provider,
        tier="offline" if provider == "offline" else "cloud",
        model="m",
        ok=ok,
        wall_ms=wall_ms,
        ts=ts,
    )


def test_an_empty_ledger_has_no_stats(ledger: LedgerStore):
    assert ledger.call_stats() == []


def test_stats_group_by_provider_and_capability_in_name_order(ledger: LedgerStore):
    ledger.record(call("openai", "image", 3000.0))
    ledger.record(call("offline", "image", 40.0))
    ledger.record(call("openai", "image", 61_000.0, ok=False))
    ledger.record(call("offline", "speech", 250.0))
    ledger.record(call("offline", "image", 60.0))
    stats = ledger.call_stats(bounds=(0.05, 0.25, 5.0))
    assert stats == [
        CallStats("offline", "image", calls=2, failures=0, seconds=pytest.approx(0.1), buckets=(1, 2, 2)),
        CallStats("offline", "speech", calls=1, failures=0, seconds=pytest.approx(0.25), buckets=(0, 1, 1)),
        CallStats("openai", "image", calls=2, failures=1, seconds=pytest.approx(64.0), buckets=(0, 0, 1)),
    ]


def test_a_call_on_a_bound_counts_in_that_bucket(ledger: LedgerStore):
    ledger.record(call("offline", "text", 100.0))
    (stats,) = ledger.call_stats(bounds=(0.1, 0.2))
    assert stats.buckets == (1, 1)


def test_default_bounds_are_the_latency_bounds_and_buckets_never_shrink(ledger: LedgerStore):
    for ms in (1.0, 80.0, 700.0, 9000.0, 500_000.0):
        ledger.record(call("ollama", "text", ms))
    (stats,) = ledger.call_stats()
    assert len(stats.buckets) == len(LATENCY_BOUNDS_S)
    assert list(stats.buckets) == sorted(stats.buckets)
    # The 500-second call is over every bound: only the +Inf bucket (the count) holds it.
    assert stats.buckets[-1] == 4 and stats.calls == 5


def test_since_leaves_out_older_calls(ledger: LedgerStore):
    ledger.record(call("offline", "text", 10.0, ts=T0))
    ledger.record(call("offline", "text", 20.0, ts=T0 + 100, ok=False))
    (stats,) = ledger.call_stats(since=T0 + 50)
    assert (stats.calls, stats.failures, stats.seconds) == (1, 1, pytest.approx(0.02))
