"""The usage ledger and health log behave alike in SQLite and Redis: one set of assertions, both stores."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from tools.storage.ledger_records import HealthRecord, UsageRecord
from tools.storage.protocols import LedgerStore
from tools.storage.redis_ledger import RedisUsageLedger
from tools.storage.sqlite_ledger import UsageLedger

DAY1 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()
DAY2 = datetime(2026, 1, 11, 9, 30, tzinfo=UTC).timestamp()
# One second before midnight UTC and the midnight itself: the day boundary is UTC, not local time.
LATE = datetime(2026, 1, 11, 23, 59, 59, tzinfo=UTC).timestamp()
MIDNIGHT = datetime(2026, 1, 12, tzinfo=UTC).timestamp()


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


def call(**overrides: object) -> UsageRecord:
    fields: dict[str, object] = {
        "run_id": "make:coffee-1",
        "node": "write_script",
        "capability": "text",
        "provider": "ollama",
        "tier": "self-hosted",
        "model": "qwen3:8b",
        "ok": True,
        "wall_ms": 1500.0,
        "ts": DAY1,
    }
    fields.update(overrides)
    return UsageRecord(**fields)  # type: ignore[arg-type]


def check(
    provider: str, capability: str, ts: float, healthy: bool = True, **overrides: object
) -> HealthRecord:
    fields: dict[str, object] = {
        "provider": provider,
        "capability": capability,
        "tier": "self-hosted",
        "endpoint": "http://localhost:11434",
        "healthy": healthy,
        "latency_ms": 12.5,
        "models": ["qwen3:8b"],
        "error": "" if healthy else "refused",
        "ts": ts,
    }
    fields.update(overrides)
    return HealthRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def filled(ledger: LedgerStore) -> LedgerStore:
    """Five calls over two runs and two days, with hand-picked costs."""
    ledger.record(call(ts=DAY1, cost_usd=0.0003, premium_usd=0.011))
    ledger.record(call(ts=DAY1 + 1, ok=False, error_class="timeout", error="read timed out", wall_ms=60_000))
    ledger.record(
        call(
            ts=DAY1 + 2,
            provider="openai",
            tier="cloud",
            capability="image",
            model="dall-e-3",
            images=1,
            cost_usd=0.04,
            premium_usd=0.08,
        )
    )
    ledger.record(
        call(
            ts=DAY2,
            run_id="make:tea-2",
            provider="openai",
            tier="cloud",
            capability="speech",
            audio_s=90.0,
            cost_usd=0.0225,
            premium_usd=0.0225,
        )
    )
    ledger.record(call(ts=DAY2 + 1, run_id="make:tea-2", cost_usd=0.001, premium_usd=0.02))
    return ledger


def test_a_new_ledger_is_empty(ledger: LedgerStore):
    assert ledger.usage() == []
    assert ledger.costs() == []
    assert ledger.costs(by="day") == []
    assert ledger.latest_health() == {}


def test_a_recorded_call_reads_back_unchanged(ledger: LedgerStore):
    original = call(tokens_in=1200, tokens_out=800, cost_usd=0.0004, premium_usd=0.011, ts=DAY1 + 0.123456)
    failed = call(ts=DAY1 + 5, ok=False, error_class="refused", error="connection refused — ünïcode")
    ledger.record(original)
    ledger.record(failed)
    assert ledger.usage() == [original, failed]
    assert ledger.usage()[1].ok is False
    assert ledger.usage()[0].ok is True


def test_usage_is_oldest_first_and_equal_times_keep_insert_order(ledger: LedgerStore):
    ledger.record(call(ts=DAY2, node="third"))
    ledger.record(call(ts=DAY1, node="first"))
    for n in range(12):  # more than nine, so ids that sorted as text would come out 1, 10, 11, 2, …
        ledger.record(call(ts=DAY1 + 1, node=f"tie-{n}"))
    assert [u.node for u in ledger.usage()] == ["first", *(f"tie-{n}" for n in range(12)), "third"]


def test_usage_filters_by_run_and_since(filled: LedgerStore):
    assert len(filled.usage()) == 5
    assert [u.ts for u in filled.usage(run_id="make:tea-2")] == [DAY2, DAY2 + 1]
    assert len(filled.usage(since=DAY1 + 2)) == 3  # since is inclusive
    assert [u.ts for u in filled.usage(run_id="make:coffee-1", since=DAY1 + 1)] == [DAY1 + 1, DAY1 + 2]
    assert filled.usage(since=DAY2 + 1.5) == []
    assert filled.usage(run_id="no-such-run") == []


def test_costs_by_provider_are_largest_first(filled: LedgerStore):
    rows = filled.costs(by="provider")
    assert [r.key for r in rows] == ["openai", "ollama"]
    openai, ollama = rows
    assert (openai.calls, openai.failures, openai.self_hosted_calls) == (2, 0, 0)
    assert openai.cost_usd == pytest.approx(0.0625)
    assert openai.premium_usd == pytest.approx(0.1025)
    assert openai.savings_usd == pytest.approx(0.04)
    # Three ollama calls, one failed: only the two that worked count as self-hosted calls.
    assert (ollama.calls, ollama.failures, ollama.self_hosted_calls) == (3, 1, 2)
    assert ollama.cost_usd == pytest.approx(0.0013)
    assert ollama.premium_usd == pytest.approx(0.031)
    assert ollama.savings_usd == pytest.approx(0.0297)


def test_costs_with_equal_totals_order_by_key(ledger: LedgerStore):
    for provider in ("zeta", "alpha", "mid"):
        ledger.record(call(provider=provider, cost_usd=0.5))
    ledger.record(call(provider="big", cost_usd=2.0))
    assert [r.key for r in ledger.costs(by="provider")] == ["big", "alpha", "mid", "zeta"]


def test_costs_by_day_are_in_date_order(filled: LedgerStore):
    rows = filled.costs(by="day")
    assert [r.key for r in rows] == ["2026-01-10", "2026-01-11"]
    day1, day2 = rows
    assert (day1.calls, day1.failures, day1.self_hosted_calls) == (3, 1, 1)
    assert day1.cost_usd == pytest.approx(0.0403)
    assert day1.savings_usd == pytest.approx(0.091 - 0.0403)
    assert (day2.calls, day2.failures, day2.self_hosted_calls) == (2, 0, 1)
    assert day2.cost_usd == pytest.approx(0.0235)
    assert day2.premium_usd == pytest.approx(0.0425)


def test_days_split_at_midnight_utc_even_when_the_larger_day_comes_first(ledger: LedgerStore):
    ledger.record(call(ts=MIDNIGHT, cost_usd=0.25))
    ledger.record(call(ts=LATE, cost_usd=5.0))
    ledger.record(call(ts=MIDNIGHT + 0.5, cost_usd=0.25, ok=False))
    rows = ledger.costs(by="day")
    assert [(r.key, r.calls, r.failures, r.cost_usd) for r in rows] == [
        ("2026-01-11", 1, 0, 5.0),
        ("2026-01-12", 2, 1, 0.5),
    ]


def test_costs_by_run(filled: LedgerStore):
    rows = filled.costs(by="run")
    assert [r.key for r in rows] == ["make:coffee-1", "make:tea-2"]
    coffee, tea = rows
    assert (coffee.calls, coffee.failures, coffee.self_hosted_calls) == (3, 1, 1)
    assert coffee.cost_usd == pytest.approx(0.0403)
    assert tea.cost_usd == pytest.approx(0.0235)
    assert tea.savings_usd == pytest.approx(0.019)


def test_costs_since_leave_out_older_calls(filled: LedgerStore):
    rows = filled.costs(by="provider", since=DAY2)
    assert [(r.key, r.calls) for r in rows] == [("openai", 1), ("ollama", 1)]
    assert [r.key for r in filled.costs(by="run", since=DAY2)] == ["make:tea-2"]
    assert filled.costs(by="day", since=DAY2 + 2) == []


def test_record_health_returns_the_previous_check_of_the_same_pair(ledger: LedgerStore):
    first = check("ollama", "text", DAY1, healthy=False)
    assert ledger.record_health(first) is None
    assert ledger.record_health(check("ollama", "image", DAY1 + 1)) is None
    assert ledger.record_health(check("comfyui", "text", DAY1 + 1)) is None
    second = check("ollama", "text", DAY1 + 10, models=["qwen3:8b", "llama3"])
    assert ledger.record_health(second) == first
    assert ledger.record_health(check("ollama", "text", DAY1 + 20)) == second


def test_latest_health_picks_the_newest_check_per_provider_and_capability(ledger: LedgerStore):
    newest_text = check("ollama", "text", DAY1 + 30, models=["a", "b"], latency_ms=7.0)
    ledger.record_health(newest_text)
    ledger.record_health(check("ollama", "text", DAY1, healthy=False))  # older, written later
    assert ledger.record_health(check("ollama", "text", DAY1 + 10)) == newest_text
    newest_image = check("comfyui", "image", DAY1 + 5, healthy=False, models=[])
    ledger.record_health(check("comfyui", "image", DAY1))
    ledger.record_health(newest_image)
    latest = ledger.latest_health()
    assert latest == {("ollama", "text"): newest_text, ("comfyui", "image"): newest_image}
    assert latest[("comfyui", "image")].healthy is False


def test_provider_and_capability_names_with_colons_stay_apart(ledger: LedgerStore):
    one = check("a:b", "c", DAY1)
    two = check("a", "b:c", DAY1 + 1)
    assert ledger.record_health(one) is None
    assert ledger.record_health(two) is None
    assert ledger.latest_health() == {("a:b", "c"): one, ("a", "b:c"): two}


def test_concurrent_writes_from_eight_threads_all_land(ledger: LedgerStore):
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(6):
                ledger.record(call(run_id=f"run-{worker}", node=f"n{n}", ts=DAY1 + n, cost_usd=0.001))
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(ledger.usage()) == 48
    rows = ledger.costs(by="run")
    assert sorted(r.key for r in rows) == [f"run-{w}" for w in range(8)]
    assert all(r.calls == 6 and r.cost_usd == pytest.approx(0.006) for r in rows)
    assert [u.node for u in ledger.usage(run_id="run-3")] == [f"n{n}" for n in range(6)]


def test_concurrent_health_checks_from_eight_threads_see_one_empty_log(ledger: LedgerStore):
    # Reading the newest check and adding one is a single step: exactly one writer finds no previous check.
    barrier = threading.Barrier(8)
    previous: list[HealthRecord | None] = []
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(5):
                previous.append(ledger.record_health(check("ollama", "text", DAY1 + worker * 10 + n)))
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(previous) == 40
    assert previous.count(None) == 1
    assert ledger.latest_health()[("ollama", "text")].ts == DAY1 + 74


def test_redis_keys_stay_under_the_prefix_and_stores_do_not_mix(redis_client: redis.Redis, prefix: str):
    mine = RedisUsageLedger(redis_client, prefix=prefix)
    theirs = RedisUsageLedger(redis_client, prefix=f"{prefix}:other")
    mine.record(call())
    mine.record_health(check("ollama", "text", DAY1))
    theirs.record(call(run_id="elsewhere"))
    theirs.record_health(check("comfyui", "image", DAY1))
    assert [u.run_id for u in mine.usage()] == ["make:coffee-1"]
    assert list(mine.latest_health()) == [("ollama", "text")]
    types = {key: redis_client.type(key) for key in redis_client.scan_iter(match=f"{prefix}:*")}
    assert {key: kind for key, kind in types.items() if not key.startswith(f"{prefix}:other:")} == {
        f"{prefix}:usage": "hash",
        f"{prefix}:usage:seq": "string",
        f"{prefix}:usage:ts": "zset",
        f"{prefix}:usage:run:make:coffee-1": "zset",
        f"{prefix}:health": "hash",
        f"{prefix}:health:seq": "string",
        f"{prefix}:health:pairs": "set",
        f'{prefix}:health:pair:["ollama", "text"]': "zset",
    }


def test_the_sqlite_ledger_creates_its_folder(tmp_path: Path):
    ledger = UsageLedger(tmp_path / "deep" / "home" / "ledger.sqlite")
    assert ledger.path.is_file()
    assert ledger.usage() == [] and ledger.costs() == [] and ledger.latest_health() == {}
