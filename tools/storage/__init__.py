"""Durable storage on external servers: checkpoints, the run index and thread locks on plain Redis."""

from tools.storage.protocols import LedgerStore, RunIndexStore
from tools.storage.redis_checkpoints import DEFAULT_PREFIX, AsyncRedisSaver, RedisSaver
from tools.storage.redis_connection import check_redis, persistence_warning, redact_url
from tools.storage.redis_run_index import RedisRunIndex
from tools.storage.thread_lock import ThreadLock, lock_history

__all__ = [
    "DEFAULT_PREFIX",
    "AsyncRedisSaver",
    "LedgerStore",
    "RedisRunIndex",
    "RedisSaver",
    "RunIndexStore",
    "ThreadLock",
    "check_redis",
    "lock_history",
    "persistence_warning",
    "redact_url",
]
