"""Queueing without a worker, and bad Redis settings: clear one-line messages, and no job is lost."""

from __future__ import annotations

import time

import pytest
import redis

from tests.conftest import run_cli
from tests.redis_server import RedisServer, free_port


@pytest.fixture(scope="module")
def volatile_redis():
    """A private Redis that keeps nothing on disk, as the machine's default one does."""
    server = RedisServer.start(appendonly=False)
    try:
        yield server
    finally:
        server.stop()


def _one_error_line(result, needle: str, code: int = 2) -> None:
    assert result.code == code, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]


def test_queue_needs_redis(home):
    _one_error_line(run_cli(home, "make", "coffee", "--queue"), "--queue needs Redis: set REDIS_URL")


def test_an_unreachable_redis_is_one_line(home):
    url = f"redis://127.0.0.1:{free_port()}/0"
    _one_error_line(run_cli(home, "--redis", url, "runs"), "cannot reach Redis at")
    _one_error_line(run_cli(home, "make", "coffee", "--queue", REDIS_URL=url), "cannot reach Redis at")


def test_a_redis_that_needs_a_password_says_so_without_leaking_one(home):
    server = RedisServer.start(password="s3cret-pass-42")
    try:
        result = run_cli(
            home, "--redis", server.url_for_db(0).replace("s3cret-pass-42", "wrong-pass-99"), "runs"
        )
        assert result.code == 2, result.stderr
        assert "password" in result.stderr and "wrong-pass-99" not in result.stderr
        assert "s3cret-pass-42" not in result.stderr
    finally:
        server.stop()


def test_make_queue_with_no_worker_says_it_is_queued_and_how_to_start_one(home, volatile_redis):
    url = volatile_redis.url_for_db(2)
    result = run_cli(
        home,
        "make",
        "coffee",
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--run-id",
        "waiting",
        "--queue",
        REDIS_URL=url,
    )
    assert result.code == 0, result.stderr
    assert "queued run waiting" in result.stdout
    assert "no worker is running" in result.stderr and "reelforge worker" in result.stderr
    assert "keeps nothing on disk" in result.stderr, "the operator is warned that a restart loses the queue"
    shown = run_cli(home, "--redis", url, "show", "waiting", "--json")
    assert shown.json()["status"] == "queued"
    broker = redis.Redis.from_url(volatile_redis.url_for_db(3))
    try:
        assert broker.llen("celery") == 1, "the job waits in the broker's queue"
    finally:
        broker.close()


def test_daily_queue_twice_queues_each_item_once(home, tmp_path, volatile_redis):
    url = volatile_redis.url_for_db(4)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'time = "30 5 * * *"\n'
        '[[items]]\ntopic = "coffee"\nduration = 10\nvoice = "espeak"\n'
        '[[items]]\ntopic = "tea"\nduration = 10\nvoice = "espeak"\n'
    )
    args = ("daily", "--date", "2026-11-22", "--plan", str(plan), "--queue", "--json")
    first = run_cli(home, *args, REDIS_URL=url)
    assert first.code == 0, first.stderr
    report = first.json()
    assert [(i["slug"], i["outcome"], i["thread_id"]) for i in report["items"]] == [
        ("coffee", "queued", "daily:2026-11-22:coffee"),
        ("tea", "queued", "daily:2026-11-22:tea"),
    ]
    assert report["workers"] == 0 and "no worker is running" not in first.stdout
    second = run_cli(home, *args, REDIS_URL=url)
    assert [i["outcome"] for i in second.json()["items"]] == ["already queued", "already queued"]
    broker = redis.Redis.from_url(volatile_redis.url_for_db(5))
    try:
        assert broker.llen("celery") == 2
    finally:
        broker.close()


@pytest.mark.slow
def test_a_checkpoint_ttl_expires_a_runs_checkpoints(home, volatile_redis):
    url = volatile_redis.url_for_db(6)
    made = run_cli(
        home,
        "--redis",
        url,
        "make",
        "coffee",
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--preview",
        "--json",
        REELFORGE_CHECKPOINT_TTL_S="3600",
    )
    assert made.code == 0, made.stderr
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match="reelforge:cp:*"))
        assert keys, "the run's checkpoints are in Redis"
        assert all(0 < client.ttl(key) <= 3600 for key in keys)
    finally:
        client.close()


def test_a_bad_checkpoint_ttl_is_one_line(home):
    _one_error_line(
        run_cli(home, "runs", REELFORGE_CHECKPOINT_TTL_S="soon"), "REELFORGE_CHECKPOINT_TTL_S='soon'"
    )


def test_a_thread_another_process_holds_is_busy_after_waiting_out_the_ttl(home, volatile_redis):
    url = volatile_redis.url_for_db(7)
    client = redis.Redis.from_url(url)
    try:
        # A live holder keeps renewing; here the test plays it, holding far longer than the TTL.
        client.set("reelforge:lock:thread:make:held", "worker@elsewhere:42", px=60_000)
        started = time.monotonic()
        args = ("make", "coffee", "--duration", "10", "--voice", "espeak", "--run-id", "held", "--json")
        result = run_cli(home, "--redis", url, *args, REELFORGE_LOCK_TTL_S="1")
        assert time.monotonic() - started >= 3, "it waited for a dead holder's lock to expire first"
    finally:
        client.close()
    assert result.code == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: thread make:held is being run by worker@elsewhere:42"), last
