"""Tests for the usage ledger and health log in SQLite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.models.ledger import HealthRecord, UsageLedger, UsageRecord

DAY1 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()
DAY2 = datetime(2026, 1, 11, 9, 30, tzinfo=UTC).timestamp()


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
def ledger(tmp_path: Path) -> UsageLedger:
    return UsageLedger(tmp_path / "home" / "ledger.sqlite")


@pytest.fixture
def filled(ledger: UsageLedger) -> UsageLedger:
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


def test_the_ledger_creates_its_folder_and_starts_empty(tmp_path: Path):
    ledger = UsageLedger(tmp_path / "deep" / "home" / "ledger.sqlite")
    assert ledger.path.is_file()
    assert ledger.usage() == []
    assert ledger.costs() == []
    assert ledger.latest_health() == {}


def test_a_recorded_call_reads_back_unchanged(ledger: UsageLedger):
    original = call(tokens_in=1200, tokens_out=800, cost_usd=0.0004, premium_usd=0.011, error="")
    failed = call(ts=DAY1 + 5, ok=False, error_class="refused", error="connection refused")
    ledger.record(original)
    ledger.record(failed)
    assert ledger.usage() == [original, failed]
    assert ledger.usage()[1].ok is False


def test_usage_is_oldest_first_whatever_the_insert_order(ledger: UsageLedger):
    ledger.record(call(ts=DAY2, node="second"))
    ledger.record(call(ts=DAY1, node="first"))
    assert [u.node for u in ledger.usage()] == ["first", "second"]


def test_usage_filters_by_run_and_since(filled: UsageLedger):
    assert len(filled.usage()) == 5
    assert [u.ts for u in filled.usage(run_id="make:tea-2")] == [DAY2, DAY2 + 1]
    assert len(filled.usage(since=DAY1 + 2)) == 3  # since is inclusive
    assert [u.ts for u in filled.usage(run_id="make:coffee-1", since=DAY1 + 1)] == [DAY1 + 1, DAY1 + 2]
    assert filled.usage(run_id="no-such-run") == []


def test_costs_by_provider_are_largest_first(filled: UsageLedger):
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


def test_costs_by_day_are_in_date_order(filled: UsageLedger):
    rows = filled.costs(by="day")
    assert [r.key for r in rows] == ["2026-01-10", "2026-01-11"]
    day1, day2 = rows
    assert (day1.calls, day1.failures, day1.self_hosted_calls) == (3, 1, 1)
    assert day1.cost_usd == pytest.approx(0.0403)
    assert day1.savings_usd == pytest.approx(0.091 - 0.0403)
    assert (day2.calls, day2.failures, day2.self_hosted_calls) == (2, 0, 1)
    assert day2.cost_usd == pytest.approx(0.0235)
    assert day2.premium_usd == pytest.approx(0.0425)


def test_costs_by_run(filled: UsageLedger):
    rows = {r.key: r for r in filled.costs(by="run")}
    assert set(rows) == {"make:coffee-1", "make:tea-2"}
    assert rows["make:coffee-1"].calls == 3
    assert rows["make:coffee-1"].cost_usd == pytest.approx(0.0403)
    assert rows["make:tea-2"].savings_usd == pytest.approx(0.019)


def test_costs_since_leave_out_older_calls(filled: UsageLedger):
    rows = filled.costs(by="provider", since=DAY2)
    assert [(r.key, r.calls) for r in rows] == [("openai", 1), ("ollama", 1)]


def test_record_health_returns_the_previous_check_of_the_same_pair(ledger: UsageLedger):
    first = check("ollama", "text", DAY1, healthy=False)
    assert ledger.record_health(first) is None
    assert ledger.record_health(check("ollama", "image", DAY1 + 1)) is None
    assert ledger.record_health(check("comfyui", "text", DAY1 + 1)) is None
    second = check("ollama", "text", DAY1 + 10, models=["qwen3:8b", "llama3"])
    assert ledger.record_health(second) == first
    assert ledger.record_health(check("ollama", "text", DAY1 + 20)) == second


def test_latest_health_picks_the_newest_check_per_provider_and_capability(ledger: UsageLedger):
    newest_text = check("ollama", "text", DAY1 + 30, models=["a", "b"], latency_ms=7.0)
    ledger.record_health(newest_text)
    ledger.record_health(check("ollama", "text", DAY1, healthy=False))  # older, written later
    ledger.record_health(check("ollama", "text", DAY1 + 10))
    newest_image = check("comfyui", "image", DAY1 + 5, healthy=False, models=[])
    ledger.record_health(check("comfyui", "image", DAY1))
    ledger.record_health(newest_image)
    latest = ledger.latest_health()
    assert latest == {("ollama", "text"): newest_text, ("comfyui", "image"): newest_image}


def test_concurrent_writes_from_eight_threads_all_land(ledger: UsageLedger):
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
