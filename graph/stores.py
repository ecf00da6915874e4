"""Picks the run index and usage ledger: Redis when REDIS_URL is set, else SQLite files in the home folder."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from graph.settings import Settings
from tools.models.ledger import UsageLedger
from tools.run_index import RunIndex
from tools.storage.protocols import LedgerStore, RunIndexStore

if TYPE_CHECKING:
    import redis

# Long enough for a busy server, short enough that a wrong REDIS_URL fails in seconds rather than minutes.
_CONNECT_TIMEOUT_S = 5.0


_checked: set[str] = set()


def check_redis_once(url: str) -> None:
    """Ping Redis once per process: BadInput naming the problem, and a warning if it keeps nothing on disk."""
    import redis

    from tools.storage.redis_connection import check_redis, persistence_warning

    if url in _checked:
        return
    check_redis(url)  # one line naming the problem (refused, unknown host, password) and the fix
    _checked.add(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=_CONNECT_TIMEOUT_S)
    try:
        warning = persistence_warning(client)
    finally:
        client.close()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def redis_client(url: str) -> redis.Redis:
    """A text client for `url` (the checkpoints' DB); BadInput when Redis cannot be used."""
    # Imported here so that a machine without Redis never loads the client library.
    import redis

    check_redis_once(url)
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=_CONNECT_TIMEOUT_S)


def open_run_index(settings: Settings) -> RunIndexStore:
    """The run index: Redis at `settings.redis_url` when set, else `settings.index`."""
    if settings.redis_url:
        from tools.storage.redis_run_index import RedisRunIndex

        return RedisRunIndex(redis_client(settings.redis_url))
    return RunIndex(settings.index)


def existing_run_index(settings: Settings) -> RunIndexStore | None:
    """The run index if there can be runs in it: always with Redis, only once the SQLite file exists."""
    if settings.redis_url or settings.index.exists():
        return open_run_index(settings)
    return None


@contextmanager
def thread_lock(settings: Settings, thread_id: str, owner: str, wait_s: float = 0.0) -> Iterator[None]:
    """With Redis, hold the thread's lock for the block; else do nothing.

    Workers and CLI runs on any machine take the same lock, so one checkpoint thread never runs twice at once.
    A lock left by a process that died frees itself at its TTL, so waiting `wait_s` (a little over the TTL)
    tells a dead holder from a live one. RunBusy if the lock is still held after that.
    """
    if not settings.redis_url:
        yield
        return
    from tools.home import RunBusy
    from tools.storage.thread_lock import ThreadLock

    lock = ThreadLock(redis_client(settings.redis_url), thread_id, owner, ttl_s=settings.lock_ttl_s)
    deadline = time.monotonic() + wait_s
    while not lock.acquire():
        if time.monotonic() >= deadline:
            holder = lock.holder() or "another process"
            raise RunBusy(f"thread {thread_id} is being run by {holder}; wait for it or stop it first")
        time.sleep(1.0)
    with lock:
        yield


def open_ledger(settings: Settings) -> LedgerStore:
    """The usage ledger and health log: Redis at `settings.redis_url` when set, else `settings.ledger`."""
    if settings.redis_url:
        from tools.models.redis_ledger import RedisUsageLedger

        return RedisUsageLedger(redis_client(settings.redis_url))
    return UsageLedger(settings.ledger)
