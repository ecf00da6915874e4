"""Picks the checkpointer: our Redis saver when REDIS_URL is set, else SQLite in the home folder."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from graph.settings import Settings


@contextmanager
def open_sqlite_saver(path: Path) -> Iterator[SqliteSaver]:
    """Open the SQLite saver at `path`, in WAL mode so `runs` and `show` can read while a run writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@contextmanager
def open_saver(settings: Settings) -> Iterator[BaseCheckpointSaver[Any]]:
    """The run's checkpointer: Redis at `settings.redis_url` (BadInput if unusable), else SQLite."""
    if not settings.redis_url:
        with open_sqlite_saver(settings.checkpoints) as saver:
            yield saver
        return
    from graph.stores import check_redis_once
    from tools.storage.redis_checkpoints import RedisSaver

    check_redis_once(settings.redis_url)
    with RedisSaver.from_url(settings.redis_url, ttl_s=settings.checkpoint_ttl_s) as saver:
        yield saver
