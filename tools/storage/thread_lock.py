"""A per-thread lock in Redis: two workers never run one checkpoint thread at once.

`SET key owner NX PX ttl` takes it; a background thread renews it while the job runs; a compare-and-delete
releases it, so a worker whose lock expired can never delete the next owner's. Every event is appended to a
history list, so operators (and the tests) can see who held each thread when.
"""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType
from typing import Any

import redis

# Renew or release only if we still own the lock: a plain DEL could drop another worker's lock.
_IF_OWNER = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call({}) end return 0"
_RENEW = _IF_OWNER.format("'pexpire', KEYS[1], ARGV[2]")
_RELEASE = _IF_OWNER.format("'del', KEYS[1]")
HISTORY_LIMIT = 10_000


class ThreadLock:
    """Hold `thread_id` for `owner` while the job runs; use as a context manager after `acquire()`."""

    def __init__(
        self,
        client: redis.Redis,
        thread_id: str,
        owner: str,
        *,
        ttl_s: float = 30.0,
        prefix: str = "reelforge",
    ) -> None:
        """Describe the lock; nothing is taken until `acquire`."""
        self.client, self.thread_id, self.owner = client, thread_id, owner
        self.ttl_ms = int(ttl_s * 1000)
        self.key = f"{prefix}:lock:thread:{thread_id}"
        self.history_key = f"{prefix}:lock:history"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = threading.Event()

    def _log(self, event: str) -> None:
        entry = json.dumps(
            {
                "ts": time.time(),
                "thread": self.thread_id,
                "owner": self.owner,
                "event": event,
                "ttl_s": self.ttl_ms / 1000,
            }
        )
        pipe = self.client.pipeline(transaction=True)
        pipe.rpush(self.history_key, entry)
        pipe.ltrim(self.history_key, -HISTORY_LIMIT, -1)
        pipe.execute()

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; start renewing it. False when another owner holds it."""
        if not self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms):
            self._log("denied")
            return False
        self._log("acquired")
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"lock:{self.thread_id}", daemon=True
        )
        self._renewer.start()
        return True

    def _renew_until_stopped(self) -> None:
        # Renew at a third of the TTL, so two missed renewals still leave the lock held.
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                renewed = self.client.eval(_RENEW, 1, self.key, self.owner, self.ttl_ms)
            except redis.RedisError:
                continue  # a blip: the next renewal, before the TTL runs out, tries again
            if not renewed:
                self.lost.set()
                self._log("lost")
                return
            self._log("renewed")

    def release(self) -> None:
        """Stop renewing and delete the lock if we still own it."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            if self.client.eval(_RELEASE, 1, self.key, self.owner):
                self._log("released")
        except redis.RedisError:
            # Redis is unreachable (the reason this job may be ending): the lock frees itself at its TTL.
            pass

    def holder(self) -> str | None:
        """Who holds the lock now, if anyone."""
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    def __enter__(self) -> ThreadLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_history(client: redis.Redis, prefix: str = "reelforge") -> list[dict[str, Any]]:
    """Every lock event recorded, oldest first."""
    return [json.loads(raw) for raw in client.lrange(f"{prefix}:lock:history", 0, -1)]
