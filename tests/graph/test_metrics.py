"""GET /metrics after a real run: the exposition parses, and every family says what the stores hold."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from graph.api import create_app
from graph.api.metrics import stage_durations
from graph.services import Services, open_services
from graph.settings import load_settings
from state.events import STAGES, RunEvent
from tests.conftest import NO_FREE_TIER, NO_RESEARCH, _outside_settings
from tests.redis_server import RedisServer
from tools.storage.ledger_records import LATENCY_BOUNDS_S, UsageRecord

FAST = {"duration_s": 10, "voice": "espeak", "preview": True}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _services(home: Path, **settings: Any) -> Services:
    """Services read with none of the shell's settings, research and the free tier off (as conftest does;
    its fixtures are per test, these are per module)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if _outside_settings(name)]:
            patch.delenv(name)
        for name, value in {**NO_RESEARCH, **NO_FREE_TIER}.items():
            patch.setenv(name, value)
        patch.chdir(home)  # no reelforge.toml from the working directory
        return open_services(load_settings(home=home, **settings))


def _scrape(client: TestClient) -> tuple[dict[str, str], Samples]:
    """Each family's type and every sample, keyed by sample name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    types: dict[str, str] = {}
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return types, samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def _cloud_call(ok: bool, wall_ms: float, **fields: Any) -> UsageRecord:
    return UsageRecord("elsewhere", "write_script", "text", "openai", "cloud", "gpt", ok, wall_ms, **fields)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services, str]]:
    """An app whose one run (preview, 10 s, espeak) went to the end, plus two cloud calls in its ledger."""
    home = tmp_path_factory.mktemp("metrics") / "home"
    home.mkdir()
    services = _services(home)
    with TestClient(create_app(services)) as client:
        created = client.post("/runs", json={"topic": "how bees dance", **FAST})
        assert created.status_code == 202, created.text
        run_id = created.json()["run_id"]
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            last = [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")][-1]
        assert last["kind"] == "done", last
        services.ledger.record(_cloud_call(True, 1200.0, cost_usd=0.25, premium_usd=0.75))
        services.ledger.record(_cloud_call(False, 90_000.0, error_class="timeout"))
        yield client, services, run_id


def test_the_families_have_their_types(made: tuple[TestClient, Services, str]):
    types, _ = _scrape(made[0])
    assert types == {
        "reelforge_runs": "gauge",
        "reelforge_stage_duration_seconds": "histogram",
        "reelforge_provider_calls": "counter",
        "reelforge_provider_failures": "counter",
        "reelforge_provider_call_seconds": "histogram",
        "reelforge_cost_usd": "counter",
        "reelforge_savings_usd": "counter",
        "reelforge_provider_up": "gauge",
        "reelforge_queue_depth": "gauge",
        "reelforge_runs_executing_here": "gauge",
    }


def test_runs_by_status_count_the_finished_run(made: tuple[TestClient, Services, str]):
    _, samples = _scrape(made[0])
    statuses = {
        dict(labels)["status"]: value for (name, labels), value in samples.items() if name == "reelforge_runs"
    }
    assert statuses == {
        "queued": 0,
        "running": 0,
        "waiting": 0,
        "done": 1,
        "failed": 0,
        "stopped": 0,
        "rejected": 0,
    }


def test_each_stage_of_the_run_is_observed_once_with_its_event_times(made: tuple[TestClient, Services, str]):
    client, services, run_id = made
    _, samples = _scrape(client)
    events = services.event_log(run_id).read(0)
    expected = dict(stage_durations(events))
    assert set(expected) == set(STAGES)
    for stage in STAGES:
        assert _value(samples, "reelforge_stage_duration_seconds_count", stage=stage) == 1
        total = _value(samples, "reelforge_stage_duration_seconds_sum", stage=stage)
        assert total == pytest.approx(expected[stage], abs=1e-6)
        assert _value(samples, "reelforge_stage_duration_seconds_bucket", stage=stage, le="+Inf") == 1
    # Composing the video is where a run spends its time.
    assert expected["video_production"] == max(expected.values()) > 0


def test_provider_calls_failures_and_latency_match_the_ledger(made: tuple[TestClient, Services, str]):
    client, services, _ = made
    _, samples = _scrape(client)
    calls = services.ledger.usage()
    per_pair = Counter((call.provider, call.capability) for call in calls)
    # The offline tier made the run's text, pictures and voice; the two cloud calls were added.
    assert {("offline", "text"), ("offline", "image"), ("offline", "speech"), ("openai", "text")} <= set(
        per_pair
    )
    for (provider, capability), count in per_pair.items():
        pair = {"provider": provider, "capability": capability}
        assert _value(samples, "reelforge_provider_calls_total", **pair) == count
        failed = sum(not c.ok for c in calls if (c.provider, c.capability) == (provider, capability))
        assert _value(samples, "reelforge_provider_failures_total", **pair) == failed
        assert _value(samples, "reelforge_provider_call_seconds_count", **pair) == count
        assert _value(samples, "reelforge_provider_call_seconds_bucket", le="+Inf", **pair) == count
    openai = {"provider": "openai", "capability": "text"}
    assert _value(samples, "reelforge_provider_failures_total", **openai) == 1
    assert _value(samples, "reelforge_provider_call_seconds_sum", **openai) == pytest.approx(91.2)
    # 1.2 s is under the 2.5 s bound and over the 1 s one; 90 s is over every bound but the last.
    assert _value(samples, "reelforge_provider_call_seconds_bucket", le="1.0", **openai) == 0
    assert _value(samples, "reelforge_provider_call_seconds_bucket", le="2.5", **openai) == 1
    assert _value(samples, "reelforge_provider_call_seconds_bucket", le="120.0", **openai) == 2
    bounds = {
        dict(labels)["le"]
        for (name, labels), _ in samples.items()
        if name == "reelforge_provider_call_seconds_bucket"
    }
    assert bounds == {repr(bound) for bound in LATENCY_BOUNDS_S} | {"+Inf"}


def test_cost_and_savings_per_provider(made: tuple[TestClient, Services, str]):
    _, samples = _scrape(made[0])
    assert _value(samples, "reelforge_cost_usd_total", provider="openai") == pytest.approx(0.25)
    assert _value(samples, "reelforge_savings_usd_total", provider="openai") == pytest.approx(0.5)
    assert _value(samples, "reelforge_cost_usd_total", provider="offline") == 0


def test_the_local_queue_is_empty_once_the_run_is_done(made: tuple[TestClient, Services, str]):
    _, samples = _scrape(made[0])
    assert _value(samples, "reelforge_queue_depth", queue="local") == 0
    assert _value(samples, "reelforge_runs_executing_here") == 0
    assert ("reelforge_queue_depth", frozenset({("queue", "workers")})) not in samples


def test_a_second_scrape_gives_the_same_numbers(made: tuple[TestClient, Services, str]):
    assert _scrape(made[0]) == _scrape(made[0])


def test_stage_durations_pair_each_start_with_its_finish_attempt_by_attempt():
    def event(kind: str, stage: str | None, ts: str) -> RunEvent:
        return {
            "kind": kind,
            "stage": stage,
            "node": None,
            "scene": None,
            "message": "",
            "data": {},
            "seq": 0,
            "run_id": "r",
            "ts": f"2026-12-04T10:00:{ts}+00:00",
        }

    events = [
        event("stage_started", "planning", "00.000"),
        event("stage_finished", "planning", "00.500"),
        event("stage_started", "video_production", "01.000"),
        event("failed", None, "02.000"),  # the attempt died mid-stage: no duration
        event("stage_started", "video_production", "10.000"),
        event("node_finished", "video_production", "12.000"),
        event("stage_finished", "video_production", "13.250"),
    ]
    assert stage_durations(events) == [("planning", 0.5), ("video_production", 3.25)]


def test_with_redis_queued_runs_show_as_the_workers_queue_depth(tmp_path: Path):
    server = RedisServer.start()
    try:
        home = tmp_path / "home"
        home.mkdir()
        # No worker runs: the jobs wait on the broker, the next database of the same Redis.
        services = _services(home, redis_url=server.url_for_db(0))
        with TestClient(create_app(services)) as client:
            for topic in ("bees", "tea"):
                created = client.post("/runs", json={"topic": topic, **FAST})
                assert created.status_code == 202, created.text
            _, samples = _scrape(client)
        assert _value(samples, "reelforge_queue_depth", queue="workers") == 2
        assert _value(samples, "reelforge_queue_depth", queue="local") == 0
        assert _value(samples, "reelforge_runs", status="queued") == 2
        services.close()
    finally:
        server.stop()
