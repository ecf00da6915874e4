"""The run index behaves the same in SQLite and in Redis: the same assertions run against both."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tools.storage import redis_run_index as redis_module
from tools.storage import sqlite_run_index as sqlite_module
from tools.storage.protocols import RunIndexStore
from tools.storage.redis_run_index import RedisRunIndex
from tools.storage.run_records import RunExists
from tools.storage.sqlite_run_index import RunIndex

JOB = {"topic": "make coffee", "voice": {"name": "joe", "speed": 1.1}, "scenes": [1, 2, 3]}


@pytest.fixture(params=["sqlite", "redis", "redis-bytes"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> RunIndexStore:
    """The same store, three ways: SQLite, Redis with text replies, Redis with raw byte replies."""
    if request.param == "sqlite":
        return RunIndex(tmp_path / "index.sqlite")
    prefix = request.getfixturevalue("prefix")
    client = request.getfixturevalue("redis_client")
    if request.param == "redis-bytes":
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        request.addfinalizer(client.close)
    return RedisRunIndex(client, prefix=prefix)


@pytest.fixture
def set_clock(index: RunIndexStore, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Pin the creation/update time of the store under test."""
    module = sqlite_module if isinstance(index, RunIndex) else redis_module

    def pin(moment: str) -> None:
        monkeypatch.setattr(module, "_now", lambda: moment)

    return pin


def test_a_new_index_is_empty(index: RunIndexStore):
    assert index.list() == []
    assert index.get("nothing") is None


def test_a_created_run_reads_back(index: RunIndexStore):
    index.create("make:coffee-3f2a", "make:coffee-3f2a", "make coffee", JOB)
    record = index.get("make:coffee-3f2a")
    assert record is not None
    assert (record.run_id, record.thread_id, record.topic) == ("make:coffee-3f2a",) * 2 + ("make coffee",)
    assert (record.status, record.video, record.error) == ("queued", None, None)
    assert (record.place, record.gate) == ("local", None)
    assert record.job == JOB
    assert record.created_at == record.updated_at
    assert index.list() == [record]


def test_creating_a_taken_run_id_raises_run_exists_and_changes_nothing(index: RunIndexStore):
    index.create("r1", "t1", "first", {"n": 1})
    with pytest.raises(RunExists, match="'r1' is taken"):
        index.create("r1", "t2", "second", {"n": 2})
    record = index.get("r1")
    assert record is not None and (record.thread_id, record.topic, record.job) == ("t1", "first", {"n": 1})
    assert [r.run_id for r in index.list()] == ["r1"]


def test_set_status_keeps_the_video_once_known_and_clears_old_errors(
    index: RunIndexStore, set_clock: Callable[[str], None]
):
    set_clock("2026-01-10T12:00:00+00:00")
    index.create("r1", "t1", "topic", {})
    set_clock("2026-01-10T12:05:00+00:00")
    index.set_status("r1", "failed", error="boom")
    record = index.get("r1")
    assert record is not None
    assert (record.status, record.error, record.video) == ("failed", "boom", None)
    assert (record.created_at, record.updated_at) == (
        "2026-01-10T12:00:00+00:00",
        "2026-01-10T12:05:00+00:00",
    )
    index.set_status("r1", "done", video="runs/r1/final.mp4")
    index.set_status("r1", "stopped")
    record = index.get("r1")
    assert record is not None
    assert (record.status, record.error, record.video) == ("stopped", None, "runs/r1/final.mp4")


def test_a_waiting_run_names_its_gate_until_it_moves_on(index: RunIndexStore):
    index.create("r1", "t1", "topic", {}, status="queued", place="queue")
    index.set_status("r1", "waiting", gate="script")
    record = index.get("r1")
    assert record is not None and (record.status, record.gate, record.place) == ("waiting", "script", "queue")
    index.set_status("r1", "running")
    record = index.get("r1")
    assert record is not None and (record.status, record.gate) == ("running", None)


def test_set_status_rejects_unknown_statuses_and_ignores_missing_runs(index: RunIndexStore):
    index.create("r1", "t1", "topic", {})
    with pytest.raises(ValueError, match="unknown run status 'paused'"):
        index.set_status("r1", "paused")
    with pytest.raises(ValueError, match="unknown run status 'started'"):
        index.create("r2", "t2", "topic", {}, status="started")
    index.set_status("ghost", "done", video="x.mp4")
    assert index.get("ghost") is None
    assert [r.run_id for r in index.list()] == ["r1"]


def test_list_is_newest_first_and_ties_go_to_the_later_insert(
    index: RunIndexStore, set_clock: Callable[[str], None]
):
    set_clock("2026-01-11T09:00:00+00:00")
    index.create("middle", "t", "topic", {})
    set_clock("2026-01-10T09:00:00+00:00")
    index.create("oldest", "t", "topic", {})
    set_clock("2026-01-12T09:00:00+00:00")
    index.create("tie-a", "t", "topic", {})
    index.create("tie-c", "t", "topic", {})
    index.create("tie-b", "t", "topic", {})
    assert [r.run_id for r in index.list()] == ["tie-b", "tie-c", "tie-a", "middle", "oldest"]
    assert [r.run_id for r in index.list(limit=2)] == ["tie-b", "tie-c"]
    assert index.list(limit=0) == []
    assert len(index.list(limit=-1)) == 5


def test_delete_forgets_a_run_and_frees_its_id(index: RunIndexStore):
    index.create("keep", "t", "topic", {})
    index.create("drop", "t", "topic", {"old": True})
    index.delete("drop")
    index.delete("drop")  # a missing run is not an error
    assert index.get("drop") is None
    assert [r.run_id for r in index.list()] == ["keep"]
    index.create("drop", "t", "again", {"old": False})
    record = index.get("drop")
    assert record is not None and record.job == {"old": False}
    assert [r.run_id for r in index.list()] == ["drop", "keep"]


def test_eight_threads_racing_for_one_run_id_leave_one_winner(index: RunIndexStore):
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def create(worker: int) -> None:
        barrier.wait()
        try:
            index.create("contested", f"t{worker}", f"topic {worker}", {"worker": worker})
            outcomes.append("won")
        except RunExists:
            outcomes.append("taken")
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            outcomes.append(repr(error))

    threads = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes) == ["taken"] * 7 + ["won"]
    record = index.get("contested")
    assert record is not None and record.job == {"worker": int(record.thread_id[1:])}
    assert [r.run_id for r in index.list()] == ["contested"]


def test_eight_threads_writing_different_runs_all_land(index: RunIndexStore):
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(5):
                run_id = f"run-{worker}-{n}"
                index.create(run_id, run_id, "topic", {"n": n})
                index.set_status(run_id, "done", video=f"{run_id}.mp4")
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    records = index.list(limit=100)
    assert sorted(r.run_id for r in records) == sorted(f"run-{w}-{n}" for w in range(8) for n in range(5))
    assert all(r.status == "done" and r.video == f"{r.run_id}.mp4" for r in records)


def test_redis_keys_stay_under_the_prefix_and_stores_do_not_mix(redis_client: redis.Redis, prefix: str):
    mine = RedisRunIndex(redis_client, prefix=prefix)
    theirs = RedisRunIndex(redis_client, prefix=f"{prefix}:other")
    mine.create("make:coffee-1", "make:coffee-1", "coffee", {})
    theirs.create("make:tea-2", "make:tea-2", "tea", {})
    assert [r.run_id for r in mine.list()] == ["make:coffee-1"]
    assert mine.get("make:tea-2") is None
    assert set(redis_client.scan_iter(match=f"{prefix}:*")) >= {
        f"{prefix}:run:make:coffee-1",
        f"{prefix}:runs",
        f"{prefix}:runs:seq",
    }
    assert redis_client.type(f"{prefix}:run:make:coffee-1") == "hash"
    assert redis_client.type(f"{prefix}:runs") == "zset"


def test_an_index_from_before_gates_keeps_its_runs(tmp_path: Path):
    import sqlite3

    path = tmp_path / "index.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, topic TEXT NOT NULL, "
            "status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, job TEXT NOT NULL, "
            "video TEXT, error TEXT)"
        )
        conn.execute(
            "INSERT INTO runs VALUES ('old', 'make:old', 'coffee', 'interrupted', "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '{}', NULL, NULL)"
        )
    conn.close()
    index = RunIndex(path)
    record = index.get("old")
    assert record is not None
    # "interrupted" was the old name of "stopped".
    assert (record.status, record.place, record.gate) == ("stopped", "local", None)
    index.set_status("old", "waiting", gate="publish")
    assert index.get("old") == RunIndex(path).get("old")


def test_publications_replace_their_intent_by_key_and_go_with_the_run(index: RunIndexStore):
    index.create("r1", "make:r1", "topic", {})
    index.record_publication("r1", {"target": "gallery", "id": "r1", "url": "file:///g", "published_at": "t"})
    index.record_publication("r1", {"target": "youtube", "key": "r1:youtube:ab", "status": "pending"})
    index.record_publication("r1", {"target": "wordpress", "key": "r1:wordpress:ab", "status": "pending"})
    done = {"target": "youtube", "key": "r1:youtube:ab", "status": "published", "id": "v1"}
    index.record_publication("r1", done)
    found = index.publications("r1")
    assert [(p["target"], p["status"] if "status" in p else "-") for p in found] == [
        ("gallery", "-"),
        ("youtube", "published"),
        ("wordpress", "pending"),
    ]
    assert index.publications("other") == []
    index.delete("r1")
    assert index.publications("r1") == []
