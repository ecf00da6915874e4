"""Runs on a Celery worker behave as local ones: the same events for a follower in another process (with
another home: it needs only Redis), and the same gates, answered from another process while the waiting
run holds no worker and no lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from tests.celery_workers import Workers
from tests.conftest import cli_env, run_cli
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

FAST = ("--duration", "15", "--voice", "espeak", "--preview")


@pytest.fixture
def worker(tmp_path: Path):
    """A private Redis (AOF on), a home, and one worker on them; yields (home, REDIS_URL)."""
    server = RedisServer.start()
    home = tmp_path / "home"
    home.mkdir()
    url = server.url_for_db(0)
    workers = Workers(cli_env(home, REDIS_URL=url), tmp_path)
    try:
        workers.start("w1")
        yield home, url
    finally:
        workers.stop()
        server.stop()


def _events(result) -> list[dict]:
    assert result.code in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _signature(events: list[dict]) -> list[tuple]:
    """What a run did, without times, paths and hosts. Scenes are made in parallel, so within the fan-out
    each scene's own events are compared in their order, and the scenes in index order."""
    items = [
        (
            e["kind"],
            e["stage"],
            e["node"],
            e["scene"],
            e["data"].get("artifact"),
            e["data"].get("tier"),
            e["data"].get("pct"),
            e["data"].get("gate"),
        )
        for e in events
    ]
    out: list[tuple] = []
    fan_out: list[tuple] = []
    for item in items:
        if item[2] == "make_scene":
            fan_out.append(item)
            continue
        out += sorted(fan_out, key=lambda scene_event: scene_event[3])
        fan_out = []
        out.append(item)
    return out + sorted(fan_out, key=lambda scene_event: scene_event[3])


def test_a_worker_run_sends_a_follower_elsewhere_the_events_a_local_run_sends(worker, tmp_path: Path):
    home, url = worker
    make = ("make", "how bees dance", *FAST, "--run-id", "bees")
    local_home = tmp_path / "local"
    made = run_cli(local_home, *make, "--json")
    assert made.code == 0, made.stderr
    local = _events(run_cli(local_home, "follow", "bees", "--json"))

    queued = run_cli(home, *make, "--queue", "--json", REDIS_URL=url)
    assert queued.code == 0 and queued.json()["status"] == "queued", queued.stderr
    # Another process, another home: it sees the run only through Redis, from the start and then live.
    elsewhere = tmp_path / "elsewhere"
    remote = _events(run_cli(elsewhere, "follow", "bees", "--json", REDIS_URL=url))

    assert remote[-1]["kind"] == "done" and local[-1]["kind"] == "done"
    assert [e["seq"] for e in remote] == list(range(1, len(remote) + 1))
    assert _signature(remote) == _signature(local)
    kinds = {e["kind"] for e in remote}
    assert {"stage_started", "node_finished", "scene_made", "artifact_made", "progress", "done"} <= kinds
    assert not elsewhere.exists() or not (elsewhere / "runs").exists()


def test_gates_on_a_worker_are_answered_from_another_process(worker, tmp_path: Path):
    home, url = worker
    made = run_cli(
        home,
        "make",
        "how honey is made",
        *FAST,
        "--review",
        "--queue",
        "--run-id",
        "honey",
        "--json",
        REDIS_URL=url,
    )
    assert made.code == 0, made.stderr
    waited = _events(run_cli(home, "follow", "honey", "--json", REDIS_URL=url))
    assert (waited[-1]["kind"], waited[-1]["data"]["gate"]) == ("waiting", "script")
    listed = {row["run_id"]: row for row in run_cli(home, "runs", "--json", REDIS_URL=url).json()}
    assert (listed["honey"]["status"], listed["honey"]["video"]) == ("waiting", None)

    # Waiting holds nothing: no thread lock, and the only worker makes another run meanwhile.
    client = redis.Redis.from_url(url)
    try:
        assert client.get("reelforge:lock:thread:make:honey") is None
    finally:
        client.close()
    other = run_cli(home, "make", "why leaves fall", *FAST, "--queue", "--run-id", "leaves", REDIS_URL=url)
    assert other.code == 0, other.stderr
    assert _events(run_cli(home, "follow", "leaves", "--json", REDIS_URL=url))[-1]["kind"] == "done"

    shown = run_cli(home, "show", "honey", "--json", REDIS_URL=url).json()
    script = shown["waiting"]["script"]
    script["scenes"][1]["narration"] = "Worker bees fan the nectar with their wings."
    (tmp_path / "edited.json").write_text(json.dumps(script))
    approved = run_cli(
        home, "approve", "honey", "--script", str(tmp_path / "edited.json"), "--json", REDIS_URL=url
    )
    assert approved.code == 0, approved.stderr
    assert approved.json()["status"] == "queued", "the answer goes to the workers, where the run lives"
    done = _events(run_cli(home, "follow", "honey", "--json", REDIS_URL=url))
    assert done[-1]["kind"] == "done"
    subtitles = list((home / "runs" / "honey" / "video").glob("subtitles-*.srt"))
    assert any("Worker bees fan the nectar" in " ".join(path.read_text().split()) for path in subtitles)

    rejected = run_cli(
        home, "make", "why ice floats", *FAST, "--review", "--queue", "--run-id", "ice", REDIS_URL=url
    )
    assert rejected.code == 0, rejected.stderr
    assert _events(run_cli(home, "follow", "ice", "--json", REDIS_URL=url))[-1]["kind"] == "waiting"
    answer = run_cli(home, "reject", "ice", "--reason", "not today", "--json", REDIS_URL=url)
    assert answer.code == 0 and answer.json()["status"] == "queued", answer.stderr
    assert _events(run_cli(home, "follow", "ice", "--json", REDIS_URL=url))[-1]["kind"] == "rejected"
    listed = {row["run_id"]: row for row in run_cli(home, "runs", "--json", REDIS_URL=url).json()}
    assert (listed["ice"]["status"], listed["ice"]["video"]) == ("rejected", None)
    assert (listed["honey"]["status"], listed["leaves"]["status"]) == ("done", "done")
    assert not (home / "runs" / "ice" / "video").exists()
