"""Durable storage: checkpoints, the run index, the usage ledger, run events and thread locks."""

from __future__ import annotations

import importlib
from typing import Any

# name → the module that defines it; imported on first use, so a machine without Redis never loads its client.
_HOMES = {
    "DEFAULT_PREFIX": "tools.storage.redis_checkpoints",
    "AsyncRedisSaver": "tools.storage.redis_checkpoints",
    "RedisSaver": "tools.storage.redis_checkpoints",
    "EventLog": "tools.storage.protocols",
    "LedgerStore": "tools.storage.protocols",
    "RunIndexStore": "tools.storage.protocols",
    "FileEventLog": "tools.storage.event_log",
    "RedisEventLog": "tools.storage.redis_event_log",
    "RunIndex": "tools.storage.sqlite_run_index",
    "RedisRunIndex": "tools.storage.redis_run_index",
    "UsageLedger": "tools.storage.sqlite_ledger",
    "RedisUsageLedger": "tools.storage.redis_ledger",
    "RunRecord": "tools.storage.run_records",
    "RunExists": "tools.storage.run_records",
    "ThreadLock": "tools.storage.thread_lock",
    "lock_history": "tools.storage.thread_lock",
    "check_redis": "tools.storage.redis_connection",
    "persistence_warning": "tools.storage.redis_connection",
    "redact_url": "tools.storage.redis_connection",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'tools.storage' has no attribute {name!r}")
