"""Picks the run index and usage ledger: Redis when REDIS_URL is set, else SQLite files in the home folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.settings import Settings
from tools.models.ledger import UsageLedger
from tools.run_index import RunIndex
from tools.storage.protocols import LedgerStore, RunIndexStore

if TYPE_CHECKING:
    import redis

# Long enough for a busy server, short enough that a wrong REDIS_URL fails in seconds rather than minutes.
_CONNECT_TIMEOUT_S = 5.0


def redis_client(url: str) -> redis.Redis:
    """A client for `url` (the same DB as the checkpoints) that returns text, not bytes."""
    # Imported here so that a machine without Redis never loads the client library.
    import redis

    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=_CONNECT_TIMEOUT_S)


def open_run_index(settings: Settings) -> RunIndexStore:
    """The run index: Redis at `settings.redis_url` when set, else `settings.index`."""
    if settings.redis_url:
        from tools.storage.redis_run_index import RedisRunIndex

        return RedisRunIndex(redis_client(settings.redis_url))
    return RunIndex(settings.index)


def open_ledger(settings: Settings) -> LedgerStore:
    """The usage ledger and health log: Redis at `settings.redis_url` when set, else `settings.ledger`."""
    if settings.redis_url:
        from tools.models.redis_ledger import RedisUsageLedger

        return RedisUsageLedger(redis_client(settings.redis_url))
    return UsageLedger(settings.ledger)
