"""A run's event log behaves the same in its folder and in a Redis Stream: numbered, ordered, followable."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import redis

from state.events import draft
from tools.storage.event_log import FileEventLog
from tools.storage.protocols import EventLog
from tools.storage.redis_event_log import RedisEventLog


@pytest.fixture(params=["file", "redis", "redis-text"])
def open_log(request: pytest.FixtureRequest, tmp_path: Path):
    """Open the same run's log, as many times as asked (a writer and readers in other processes)."""
    if request.param == "file":
        return lambda: FileEventLog(tmp_path / "runs" / "r1", "r1")
    url = request.getfixturevalue("redis_url")
    decode = request.param == "redis-text"

    def opened() -> EventLog:
        client = redis.Redis.from_url(url, decode_responses=decode)
        request.addfinalizer(client.close)
        return RedisEventLog(client, "r1", prefix=request.getfixturevalue("prefix"))

    return opened


def test_events_are_numbered_from_one_and_read_back_in_order(open_log):
    log = open_log()
    assert log.read() == []
    stored = [
        log.append(draft("node_started", f"step {n}", stage="planning", node="plan_request"))
        for n in range(3)
    ]
    assert [e["seq"] for e in stored] == [1, 2, 3]
    assert all(e["run_id"] == "r1" and e["ts"].endswith("+00:00") for e in stored)
    assert open_log().read() == stored
    assert open_log().read(after=2) == stored[2:]
    assert open_log().read(after=3) == []


def test_numbers_continue_across_writers(open_log):
    # One attempt writes, the process dies, the next attempt (another process) goes on numbering.
    open_log().append(draft("queued", "queued"))
    open_log().append(draft("started", "started"))
    third = open_log().append(draft("done", "done", video="v.mp4"))
    assert third["seq"] == 3 and third["data"] == {"video": "v.mp4"}
    assert [e["kind"] for e in open_log().read()] == ["queued", "started", "done"]


def test_a_follower_reads_each_event_once_and_waits_for_the_next(open_log):
    writer, follower = open_log(), open_log()
    writer.append(draft("queued", "queued"))
    first = follower.read(0)
    assert [e["seq"] for e in first] == [1]
    started = time.monotonic()
    assert follower.read(1, wait_s=0.3) == []
    assert time.monotonic() - started >= 0.25, "it waited for more"

    def later() -> None:
        time.sleep(0.2)
        writer.append(draft("started", "started"))

    thread = threading.Thread(target=later)
    thread.start()
    arrived = follower.read(1, wait_s=5.0)
    thread.join()
    assert [e["kind"] for e in arrived] == ["started"]
    assert follower.read(2) == []


def test_delete_removes_every_event(open_log):
    log = open_log()
    log.append(draft("queued", "queued"))
    log.delete()
    assert open_log().read() == []
    assert open_log().append(draft("queued", "again"))["seq"] == 1


def test_a_line_still_being_written_is_left_for_the_next_read(tmp_path: Path):
    log = FileEventLog(tmp_path, "r1")
    log.append(draft("queued", "queued"))
    with open(log.path, "ab") as handle:
        handle.write(b'{"seq": 2, "kind": "sta')  # a writer mid-line
    assert [e["seq"] for e in FileEventLog(tmp_path, "r1").read()] == [1]


def test_the_redis_stream_is_capped(redis_client: redis.Redis, prefix: str, monkeypatch: pytest.MonkeyPatch):
    from tools.storage import redis_event_log

    monkeypatch.setattr(redis_event_log, "MAX_EVENTS", 5)
    log = RedisEventLog(redis_client, "r1", prefix=prefix)
    for n in range(400):
        log.append(draft("progress", f"{n}%", pct=float(n)))
    # MAXLEN ~ trims whole macro nodes, so a little more than the cap may stay; never everything.
    assert redis_client.xlen(log.key) < 400
    assert log.read()[-1]["seq"] == 400
