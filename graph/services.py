"""One services object per process: the stores, locks, event logs and Redis pool that every door shares."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.logs import configure_logging
from graph.settings import Settings, load_settings
from tools.errors import CheckpointStoreDamaged
from tools.home import RunBusy
from tools.storage.protocols import EventLog, LedgerStore, RunIndexStore

if TYPE_CHECKING:
    import redis
    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = ["Services", "Settings", "load_settings", "open_services"]

# Long enough for a busy server, short enough that a wrong REDIS_URL fails in seconds rather than minutes.
_CONNECT_TIMEOUT_S = 5.0
# What to do about a damaged checkpoint store when no run is named (`make`, `show`, cleanup).
STORE_FIX = "restore it from a backup, or move it aside to start fresh"


def _warn_on_stderr(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


class Services:
    """Opened once per process from one Settings; each store is made on first use and kept."""

    def __init__(
        self,
        settings: Settings,
        warn: Callable[[str], None] = _warn_on_stderr,
        *,
        log_to_stderr: bool = False,
    ) -> None:
        """Hold `settings`; with Redis, check it now (BadInput naming the problem) and warn if it forgets."""
        self.settings = settings
        self._warn = warn
        self._log_to_stderr = log_to_stderr
        self._logging = False
        self._sqlite: sqlite3.Connection | None = None
        # How far the SQLite checkpoint store was found sound in this process: None, "header" or "deep".
        self._store_checked: str | None = None
        if settings.redis_url:
            self._check_redis(settings.redis_url)

    def _check_redis(self, url: str) -> None:
        from tools.storage.redis_connection import check_redis, persistence_warning

        check_redis(url)  # one line naming the problem (refused, unknown host, password) and the fix
        if warning := persistence_warning(self.redis_client):
            self._warn(warning)

    def start_logging(self) -> None:
        """Send log events to `<home>/logs/reelforge.log` (stderr with --debug), once per process."""
        if not self._logging:
            configure_logging(self.settings.home, self.settings.router, to_stderr=self._log_to_stderr)
            self._logging = True

    @cached_property
    def redis_client(self) -> redis.Redis:
        """The process's one Redis pool (bytes replies: the checkpointer needs them; the rest accept both)."""
        import redis

        if not self.settings.redis_url:
            raise RuntimeError("no Redis configured")
        pool = redis.ConnectionPool.from_url(
            self.settings.redis_url, socket_connect_timeout=_CONNECT_TIMEOUT_S
        )
        return redis.Redis(connection_pool=pool)

    @property
    def uses_redis(self) -> bool:
        """True when runs, checkpoints, the ledger and events live in Redis."""
        return bool(self.settings.redis_url)

    @cached_property
    def runs(self) -> RunIndexStore:
        """The run index: Redis when configured, else `<home>/index.sqlite` (created on first use)."""
        if self.uses_redis:
            from tools.storage.redis_run_index import RedisRunIndex

            return RedisRunIndex(self.redis_client)
        from tools.storage.sqlite_run_index import RunIndex

        self.settings.home.mkdir(parents=True, exist_ok=True)
        return RunIndex(self.settings.index)

    def has_runs(self) -> bool:
        """Whether there can be runs to read, without creating an empty SQLite index to find out."""
        return self.uses_redis or self.settings.index.exists()

    @cached_property
    def ledger(self) -> LedgerStore:
        """The usage ledger and health log: Redis when configured, else `<home>/ledger.sqlite`."""
        if self.uses_redis:
            from tools.storage.redis_ledger import RedisUsageLedger

            return RedisUsageLedger(self.redis_client)
        from tools.storage.sqlite_ledger import UsageLedger

        return UsageLedger(self.settings.ledger)

    def has_ledger(self) -> bool:
        """Whether a ledger exists to read, without creating one."""
        return self.uses_redis or self.settings.ledger.exists()

    @cached_property
    def saver(self) -> BaseCheckpointSaver[Any]:
        """The sync checkpointer: our Redis saver on the pool, or SQLite in WAL mode in the home."""
        if self.uses_redis:
            from tools.storage.redis_checkpoints import RedisSaver

            return RedisSaver(self.redis_client, ttl_s=self.settings.checkpoint_ttl_s)
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.check_checkpoints()
        self._sqlite = sqlite_connection(self.settings.checkpoints)
        saver = SqliteSaver(self._sqlite)
        saver.setup()
        return saver

    def has_checkpoints(self) -> bool:
        """Whether checkpoints exist to read or delete, without creating an empty database."""
        return self.uses_redis or self.settings.checkpoints.exists()

    @property
    def checkpoint_store(self) -> str:
        """Where checkpoints live, as a user reads it: the SQLite file, or Redis's URL without a password."""
        if self.uses_redis:
            from tools.storage.redis_connection import redact_url

            return f"Redis at {redact_url(self.settings.redis_url or '')}"
        return str(self.settings.checkpoints)

    def check_checkpoints(
        self, fix: str = STORE_FIX, *, deep: bool = False, accept_empty: bool = False
    ) -> None:
        """Refuse a SQLite checkpoint store that cannot be trusted: CheckpointStoreDamaged, one line naming
        the file, what is wrong (empty while the index lists runs, not SQLite, truncated, corrupt) and `fix`.

        The header and size checks take microseconds and run at every open; `deep` adds PRAGMA
        quick_check (about 0.5 ms per MB), for the verbs that are about to write. A store found sound is
        not checked again in this process. `accept_empty`: a blank file is fine (a run restarting on
        purpose). Redis has no file to check: a flushed Redis shows as runs without checkpoints.
        """
        if self.uses_redis or self._store_checked == "deep" or (self._store_checked and not deep):
            return
        from tools.storage.sqlite_integrity import inspect_sqlite_file

        path = self.settings.checkpoints
        problem = inspect_sqlite_file(path, deep=deep)
        if problem is not None and problem.empty:
            # A blank file beside an empty index is a store that never got its first write, not a lost one.
            if accept_empty or not (self.has_runs() and self.runs.list(1)):
                problem = None
        if problem is not None:
            what = problem.what + (" while the run index lists runs" if problem.empty else "")
            raise CheckpointStoreDamaged(f"checkpoint store {path} {what}", fix, empty=problem.empty)
        self._store_checked = "deep" if deep else "header"

    @asynccontextmanager
    async def async_saver(self) -> AsyncIterator[BaseCheckpointSaver[Any]]:
        """An async checkpointer made inside the running event loop (async clients die with their loop)."""
        if self.uses_redis:
            from tools.storage.redis_checkpoints import AsyncRedisSaver

            async with AsyncRedisSaver.from_url(
                self.settings.redis_url or "", ttl_s=self.settings.checkpoint_ttl_s
            ) as saver:
                yield saver
            return
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        self.check_checkpoints()
        self.settings.checkpoints.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(self.settings.checkpoints, timeout=30) as conn:
            # WAL lets `runs` and `show` read while a run writes; FULL survives a power cut.
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=FULL")
            sqlite_saver = AsyncSqliteSaver(conn)
            await sqlite_saver.setup()
            yield sqlite_saver

    def event_log(self, run_id: str) -> EventLog:
        """A run's events: a capped Redis Stream with Redis, else `events.jsonl` in the run's folder."""
        if self.uses_redis:
            from tools.storage.redis_event_log import RedisEventLog

            return RedisEventLog(self.redis_client, run_id)
        from tools.storage.event_log import FileEventLog

        return FileEventLog(self.settings.run_dir(run_id), run_id)

    @contextmanager
    def thread_lock(self, thread_id: str, owner: str, wait_s: float = 0.0) -> Iterator[None]:
        """With Redis, hold the checkpoint thread's lock for the block; without, the run folder's lock does.

        Workers and CLI runs on any machine take the same lock, so one thread never runs twice at once. A
        lock left by a process that died frees itself at its TTL, so waiting `wait_s` tells a dead holder
        from a live one. RunBusy if it is still held after that.
        """
        if not self.uses_redis:
            yield
            return
        from tools.storage.thread_lock import ThreadLock

        lock = ThreadLock(self.redis_client, thread_id, owner, ttl_s=self.settings.lock_ttl_s)
        deadline = time.monotonic() + wait_s
        while not lock.acquire():
            if time.monotonic() >= deadline:
                holder = lock.holder() or "another process"
                raise RunBusy(f"thread {thread_id} is being run by {holder}; wait for it or stop it first")
            time.sleep(1.0)
        with lock:
            yield

    def thread_lock_held(self, thread_id: str) -> bool | None:
        """Whether a live process holds the thread's Redis lock; None without Redis."""
        if not self.uses_redis:
            return None
        from tools.storage.thread_lock import ThreadLock

        return ThreadLock(self.redis_client, thread_id, "reader").holder() is not None

    def close(self) -> None:
        """Close the SQLite connection and the Redis pool, if they were opened."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if "redis_client" in self.__dict__:
            self.redis_client.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sqlite_connection(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite checkpoint database at `path`, shared by the run's threads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    # WAL lets `runs` and `show` read while a run writes; FULL survives a power cut.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def open_services(
    settings: Settings | None = None,
    *,
    log_to_stderr: bool = False,
    warn: Callable[[str], None] = _warn_on_stderr,
) -> Services:
    """The process's services for `settings` (default: read them now)."""
    return Services(settings or load_settings(), warn, log_to_stderr=log_to_stderr)
