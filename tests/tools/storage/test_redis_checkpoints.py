"""The plain-Redis savers: the conformance suite, the key layout, TTL, deletes and connection errors."""

from __future__ import annotations

import asyncio
import operator
import threading
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

import pytest
import redis
import redis.asyncio as aredis
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES
from langgraph.checkpoint.conformance.report import CapabilityReport
from langgraph.checkpoint.conformance.test_utils import (
    generate_checkpoint,
    generate_config,
    generate_metadata,
)
from langgraph.checkpoint.serde.types import ERROR
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

import tools.storage.redis_checkpoints as module
from tests.redis_server import RedisServer, free_port
from tools.errors import BadInput
from tools.storage import AsyncRedisSaver, RedisSaver, check_redis, persistence_warning, redact_url

PREFIX = "reelforge:cp"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """A raw client on the test's own database."""
    raw = redis.Redis.from_url(redis_url)
    try:
        yield raw
    finally:
        raw.close()


def scan_keys(client: redis.Redis, pattern: str = "*") -> set[str]:
    """Every key matching `pattern`, found with SCAN (never KEYS)."""
    return {k.decode() for k in client.scan_iter(match=pattern, count=1000)}


def assert_full(report: CapabilityReport) -> None:
    failures = {name: r.failures for name, r in report.results.items() if r.failures}
    assert report.conformance_level() == "FULL", failures
    # FULL only says every *detected* capability passed: also require that all of them were detected.
    assert {name for name, r in report.results.items() if r.detected} == {c.value for c in ALL_CAPABILITIES}
    assert all(r.passed is True and r.tests_failed == 0 for r in report.results.values())


# --- langgraph-checkpoint-conformance -----------------------------------------------------------------


def test_conformance_async_saver_is_full(redis_url: str) -> None:
    @checkpointer_test(name="AsyncRedisSaver")
    async def factory() -> AsyncGenerator[BaseCheckpointSaver[Any], None]:
        client = aredis.Redis.from_url(redis_url)
        await client.flushdb()
        try:
            yield AsyncRedisSaver(client)
        finally:
            await client.aclose()

    assert_full(asyncio.run(validate(factory)))


def test_conformance_sync_saver_is_full(redis_url: str) -> None:
    # The suite drives the async API; RedisSaver's async methods run its sync ones in a worker thread.
    @checkpointer_test(name="RedisSaver")
    async def factory() -> AsyncGenerator[BaseCheckpointSaver[Any], None]:
        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        try:
            yield RedisSaver(client)
        finally:
            client.close()

    assert_full(asyncio.run(validate(factory)))


# --- layout -------------------------------------------------------------------------------------------


class Steps(TypedDict, total=False):
    """`count` changes at every step; `label` is set once by the input."""

    count: int
    label: str
    log: Annotated[list[str], operator.add]


def build_counter() -> StateGraph:
    """Three nodes that each bump `count` and never touch `label`."""

    def bump(state: Steps) -> dict[str, Any]:
        return {"count": state["count"] + 1}

    builder = StateGraph(Steps)
    for name in ("one", "two", "three"):
        builder.add_node(name, bump)
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    builder.add_edge("two", "three")
    builder.add_edge("three", END)
    return builder


def run_counter(saver: BaseCheckpointSaver[Any], thread: str) -> dict[str, Any]:
    cfg = {"configurable": {"thread_id": thread}}
    app = build_counter().compile(checkpointer=saver)
    list(app.stream({"count": 0, "label": "x" * 10_000}, cfg, durability="sync", version="v2"))
    return cfg


def test_one_blob_per_channel_version(client: redis.Redis) -> None:
    saver = RedisSaver(client)
    cfg = run_counter(saver, "blobs:1")
    history = list(saver.list(cfg))
    assert len(history) == 5
    blobs = scan_keys(client, f"{PREFIX}:blob:blobs%3A1:*")
    per_channel: dict[str, int] = {}
    for key in blobs:
        channel = key.split(":")[-2]
        per_channel[channel] = per_channel.get(channel, 0) + 1
    # The 10 kB label is stored once, not at each of the 5 checkpoints; count once per version.
    assert per_channel["label"] == 1
    assert per_channel["count"] == 4
    versions = {(ch, str(v)) for tup in history for ch, v in tup.checkpoint["channel_versions"].items()}
    assert len(blobs) == len(versions)
    assert history[0].checkpoint["channel_values"]["count"] == 3
    assert history[0].checkpoint["channel_values"]["label"] == "x" * 10_000


def test_key_layout_escapes_colons_and_percent(client: redis.Redis) -> None:
    saver = RedisSaver(client)
    thread = "daily:2026-11-22:50%:off"
    cfg = run_counter(saver, thread)
    assert saver.get_tuple(cfg) is not None
    keys = scan_keys(client)
    assert f"{PREFIX}:index:daily%3A2026-11-22%3A50%25%3Aoff" in keys
    assert f"{PREFIX}:timeline:daily%3A2026-11-22%3A50%25%3Aoff:" in keys
    assert f"{PREFIX}:namespaces:daily%3A2026-11-22%3A50%25%3Aoff" in keys
    # A thread whose id is a prefix of the other one's shares no key with it.
    run_counter(saver, "daily")
    saver.delete_thread("daily")
    assert scan_keys(client) == keys


def test_prefixes_keep_apps_apart(client: redis.Redis) -> None:
    ours, theirs = RedisSaver(client), RedisSaver(client, prefix="other-app:cp")
    cfg = run_counter(ours, "shared-thread-id")
    assert theirs.get_tuple(cfg) is None
    assert list(theirs.list(None)) == []
    assert len(list(ours.list(None))) == 5
    assert scan_keys(client, "other-app:*") == set()


def test_ttl_is_set_on_every_key(client: redis.Redis) -> None:
    saver = RedisSaver(client, ttl_s=300)
    cfg = run_counter(saver, "ttl:1")
    saver.put_writes(next(saver.list(cfg)).config, [("log", ["w"])], "task-1")
    keys = scan_keys(client)
    assert keys
    ttls = {key: client.ttl(key) for key in keys}
    assert all(0 < ttl <= 300 for ttl in ttls.values()), ttls


def test_ttl_refresh_keeps_the_latest_state_whole(client: redis.Redis) -> None:
    saver = RedisSaver(client, ttl_s=300)
    cfg = run_counter(saver, "ttl:2")
    label_blob = next(iter(scan_keys(client, f"{PREFIX}:blob:ttl%3A2::label:*")))
    client.expire(label_blob, 5)
    # The next write refreshes the blobs the newest checkpoint still refers to.
    app = build_counter().compile(checkpointer=saver)
    app.update_state(cfg, {"count": 10}, as_node="three")
    assert client.ttl(label_blob) > 5


def test_no_ttl_by_default(client: redis.Redis) -> None:
    run_counter(RedisSaver(client), "ttl:none")
    assert {client.ttl(k) for k in scan_keys(client)} == {-1}


def test_delete_thread_removes_every_key_of_that_thread_only(client: redis.Redis) -> None:
    saver = RedisSaver(client)
    keep_cfg = run_counter(saver, "keep")
    before_other = scan_keys(client)
    drop_cfg = run_counter(saver, "drop")
    # A child namespace and pending writes, so every kind of key exists for the doomed thread.
    child = generate_config("drop", checkpoint_ns="child:1")
    stored = saver.put(child, generate_checkpoint(channel_values={"k": 1}), generate_metadata(), {"k": 1})
    saver.put_writes(stored, [("k", 2), (ERROR, "boom")], "task-x")
    kinds = {key.split(":")[2] for key in scan_keys(client) - before_other}
    assert kinds == {"checkpoint", "blob", "writes", "timeline", "namespaces", "index"}

    saver.delete_thread("drop")
    assert scan_keys(client) == before_other
    assert saver.get_tuple(drop_cfg) is None
    assert saver.get_tuple(keep_cfg) is not None


def test_no_redis_module_uses_keys() -> None:
    sources = sorted(Path(module.__file__).parent.glob("redis_*.py"))
    assert len(sources) >= 3, "the checkpoint plans, savers and connection modules"
    for path in sources:
        source = path.read_text()
        # `.keys(` on a Python dict would be fine, but none of these modules needs one: keep the check simple.
        assert ".keys(" not in source, path.name
        assert '"KEYS"' not in source and "'KEYS'" not in source, path.name


def test_pending_writes_keep_first_regular_and_last_special(client: redis.Redis) -> None:
    saver = RedisSaver(client)
    stored = saver.put(generate_config("w"), generate_checkpoint(), generate_metadata(), {})
    saver.put_writes(stored, [("a", 1), (ERROR, "first")], "t1", task_path="~b")
    saver.put_writes(stored, [("a", 99), (ERROR, "second")], "t1", task_path="~b")
    saver.put_writes(stored, [("a", 2)], "t0", task_path="~a")
    tup = saver.get_tuple(stored)
    assert tup is not None
    # writes_sort_key order: task_path, then task id, then index (special writes have negative indexes).
    assert tup.pending_writes == [("t0", "a", 2), ("t1", ERROR, "second"), ("t1", "a", 1)]


def test_rejects_a_client_that_decodes_responses(redis_url: str) -> None:
    decoding = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses=False"):
            RedisSaver(decoding)
    finally:
        decoding.close()


# --- atomic writes ------------------------------------------------------------------------------------


def test_put_and_put_writes_are_each_one_transaction(redis_server: RedisServer, redis_url: str) -> None:
    """MONITOR shows every write of a put or put_writes between one MULTI and its EXEC."""
    db = int(redis_url.rsplit("/", 1)[1])
    seen: list[list[str]] = []
    ready = threading.Event()

    def watch() -> None:
        monitor_client = redis.Redis.from_url(redis_url)
        with monitor_client.monitor() as monitor:
            ready.set()
            for event in monitor.listen():
                if event.get("db") != db:
                    continue
                words = event["command"].split()
                seen.append(words)
                if words[:2] == ["ECHO", "done"]:
                    break
        monitor_client.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert ready.wait(5)
    client = redis.Redis.from_url(redis_url)
    saver = RedisSaver(client)
    cp = generate_checkpoint(channel_values={"a": 1, "b": 2})
    stored = saver.put(generate_config("atomic"), cp, generate_metadata(), {"a": 1, "b": 2})
    saver.put_writes(stored, [("a", 3), ("b", 4)], "task")
    client.echo("done")
    watcher.join(5)
    client.close()

    writes = {"SET", "HSET", "HSETNX", "ZADD", "SADD", "EXPIRE", "DEL"}
    names = [words[0].upper() for words in seen]
    assert names.count("MULTI") == 2 and names.count("EXEC") == 2, names
    depth = 0
    for name in names:
        depth += name == "MULTI"
        depth -= name == "EXEC"
        if name in writes:
            assert depth == 1, names


# --- persistence and connection checks ----------------------------------------------------------------


def test_persistence_warning_when_nothing_is_kept_on_disk() -> None:
    volatile = RedisServer.start(appendonly=False)
    try:
        client = redis.Redis.from_url(volatile.url)
        warning = persistence_warning(client)
        client.close()
    finally:
        volatile.stop()
    assert warning is not None
    assert "keeps nothing on disk (appendonly no, save '')" in warning
    assert "--appendonly yes" in warning
    assert f"127.0.0.1:{volatile.port}" in warning
    assert "\n" not in warning


def test_no_persistence_warning_with_aof(client: redis.Redis) -> None:
    assert persistence_warning(client) is None


def test_no_persistence_warning_when_config_is_not_allowed() -> None:
    managed = RedisServer.start(appendonly=False, extra_args=("--rename-command", "CONFIG", ""))
    try:
        client = redis.Redis.from_url(managed.url)
        assert persistence_warning(client) is None
        client.close()
    finally:
        managed.stop()


def test_check_redis_passes_on_a_running_server(redis_url: str) -> None:
    check_redis(redis_url)


def test_check_redis_refused_port() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(BadInput) as caught:
        check_redis(url)
    message = str(caught.value)
    assert message == (
        f"cannot reach Redis at {url} (connection refused); check REDIS_URL or start redis-server"
    )


def test_check_redis_unknown_host() -> None:
    with pytest.raises(BadInput, match=r"\(unknown host\); check REDIS_URL"):
        check_redis("redis://no-such-host.invalid:6379/0", timeout_s=2)


def test_check_redis_not_a_redis_url() -> None:
    with pytest.raises(BadInput, match="is not a Redis URL"):
        check_redis("http://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def locked_server() -> Iterator[RedisServer]:
    """A private server that requires a password."""
    server = RedisServer.start(password="s3cret-Pw-41")
    try:
        yield server
    finally:
        server.stop()


def test_check_redis_accepts_the_right_password(locked_server: RedisServer) -> None:
    check_redis(locked_server.url)


def test_check_redis_needs_a_password(locked_server: RedisServer) -> None:
    url = f"redis://127.0.0.1:{locked_server.port}/0"
    with pytest.raises(BadInput) as caught:
        check_redis(url)
    assert str(caught.value) == (
        f"Redis at {url} needs a password; put it in REDIS_URL as redis://:PASSWORD@host:port/0"
    )


def test_check_redis_wrong_password_is_never_shown(locked_server: RedisServer) -> None:
    url = f"redis://:wrong-Pw-97@127.0.0.1:{locked_server.port}/0"
    with pytest.raises(BadInput) as caught:
        check_redis(url)
    message = str(caught.value)
    assert "wrong-Pw-97" not in message and "s3cret-Pw-41" not in message
    assert f"redis://:***@127.0.0.1:{locked_server.port}/0" in message
    assert "password" in message and "REDIS_URL" in message
    assert "\n" not in message


def test_check_redis_password_for_a_server_without_one_is_accepted(redis_url: str) -> None:
    # redis-py 8 authenticates with HELLO AUTH, which a server without a password (nopass user) accepts.
    check_redis(redis_url.replace("redis://", "redis://:not-needed-55@"))


def test_from_url_raises_bad_input_without_the_password(locked_server: RedisServer) -> None:
    url = f"redis://:wrong-Pw-97@127.0.0.1:{locked_server.port}/0"
    with pytest.raises(BadInput) as caught, RedisSaver.from_url(url):
        pass
    assert "wrong-Pw-97" not in str(caught.value)

    async def open_async() -> None:
        async with AsyncRedisSaver.from_url(url):
            pass

    with pytest.raises(BadInput) as caught_async:
        asyncio.run(open_async())
    assert "wrong-Pw-97" not in str(caught_async.value)


def test_redact_url() -> None:
    assert redact_url("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
    assert redact_url("redis://user:pw@host/1") == "redis://user:***@host/1"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"


def test_sync_calls_on_the_async_saver_from_its_own_loop_are_refused(redis_url: str) -> None:
    async def main() -> None:
        async with AsyncRedisSaver.from_url(redis_url) as saver:
            with pytest.raises(asyncio.InvalidStateError, match="another thread"):
                saver.get_tuple(generate_config(str(uuid4())))
            assert await asyncio.to_thread(saver.get_tuple, generate_config(str(uuid4()))) is None

    asyncio.run(main())
