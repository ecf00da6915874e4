"""Two real Celery workers on a private Redis: one is SIGKILLed during VideoProduction, the other finishes.

What must hold: the job completes on the surviving worker, nodes that had finished never run again, the
video passes the checks, and the thread lock's history shows no two workers ever held the thread at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from tests.celery_workers import Workers, wait_for
from tests.conftest import cli_env, run_cli
from tests.journal_checks import finished_nodes, node_starts
from tests.media_checks import measure
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

VISIBILITY_TIMEOUT_S = 6
LOCK_TTL_S = 3


@pytest.fixture
def cluster(tmp_path):
    """A private Redis (AOF on), a home, and two worker processes in their own process groups."""
    server = RedisServer.start()
    home = tmp_path / "home"
    home.mkdir()
    url = server.url_for_db(0)
    env = cli_env(
        home,
        REDIS_URL=url,
        REELFORGE_VISIBILITY_TIMEOUT_S=str(VISIBILITY_TIMEOUT_S),
        REELFORGE_LOCK_TTL_S=str(LOCK_TTL_S),
    )
    workers = Workers(env, tmp_path)
    try:
        workers.start("w1")
        workers.start("w2")
        yield server, home, url, workers, tmp_path
    finally:
        workers.stop()
        server.stop()


def _holder(url: str, thread_id: str) -> str | None:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return client.get(f"reelforge:lock:thread:{thread_id}")
    finally:
        client.close()


def _history(url: str) -> list[dict]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return [json.loads(raw) for raw in client.lrange("reelforge:lock:history", 0, -1)]
    finally:
        client.close()


def test_a_killed_workers_job_finishes_on_the_other_worker_without_rerunning_finished_nodes(cluster):
    server, home, url, workers, tmp_path = cluster
    queued = run_cli(
        home,
        "make",
        "how glaciers move",
        "--duration",
        "30",
        "--voice",
        "espeak",
        "--preview",
        "--run-id",
        "glacier",
        "--queue",
        "--json",
        REDIS_URL=url,
    )
    assert queued.code == 0, queued.stderr
    assert queued.json()["status"] == "queued"
    run_dir = home / "runs" / "glacier"
    thread_id = "make:glacier"

    wait_for(lambda: node_starts(run_dir)["video_production.render_scenes"], 180, "render_scenes to start")
    owner = _holder(url, thread_id)
    assert owner, "the running job holds its thread lock"
    victim = "w1" if owner.startswith("w1@") else "w2"
    workers.kill(victim)

    starts_before = node_starts(run_dir)
    finished_before = finished_nodes(run_dir)
    assert "video_production.render_scenes" not in finished_before, "the kill came too late to test anything"
    assert "video_production.mix_soundtrack" in finished_before

    # Redelivery after the visibility timeout, then the dead worker's lock expires: well under two minutes.
    shown = wait_for(
        lambda: (
            (r := run_cli(home, "show", "glacier", "--json", REDIS_URL=url)).code == 0
            and r.json()["status"] == "done"
            and r.json()
        ),
        240,
        "the other worker to finish the run",
        interval_s=1.0,
    )
    after = node_starts(run_dir)
    for node in finished_before:
        assert after[node] == starts_before[node], f"{node} ran again after the redelivery"
    assert after["video_production.render_scenes"] == starts_before["video_production.render_scenes"] + 1
    assert after["publishing.publish_gallery"] == 1

    m = measure(Path(shown["video"]["path"]))
    assert (m.video_codec, m.audio_codec, m.fps) == ("h264", "aac", 30.0)
    assert abs(m.duration_s - 30) <= 30 * 0.15
    assert abs(m.integrated_lufs - (-14)) <= 1.5

    # The lock: each owner held the thread from "acquired" until "released", or, if it died, until its last
    # renewal plus the TTL. Those spans never overlap.
    events = [e for e in _history(url) if e["thread"] == thread_id]
    (tmp_path / "lock-history.json").write_text(json.dumps(events, indent=1))
    spans = _held_spans(events)
    assert [owner.split("@")[0] for owner, _, _ in spans] == [victim, "w2" if victim == "w1" else "w1"]
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end, "a worker took the thread before the previous holder's lock ended"
    assert not any(e["event"] == "released" and e["owner"] == spans[0][0] for e in events)
    assert events[-1]["event"] == "released" and events[-1]["owner"] == spans[1][0]


def _held_spans(events: list[dict]) -> list[tuple[str, float, float]]:
    """(owner, from, until) for each time an owner held the lock, in order."""
    spans: list[tuple[str, float, float]] = []
    holding: dict[str, float] = {}
    last_seen: dict[str, float] = {}
    for event in events:
        owner = event["owner"]
        if event["event"] == "acquired":
            holding[owner] = last_seen[owner] = event["ts"]
        elif event["event"] == "renewed":
            last_seen[owner] = event["ts"]
        elif event["event"] in ("released", "lost") and owner in holding:
            spans.append((owner, holding.pop(owner), event["ts"]))
    for owner, since in holding.items():
        spans.append((owner, since, last_seen[owner] + events[0]["ttl_s"]))
    return sorted(spans, key=lambda span: span[1])
