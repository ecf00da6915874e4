"""The run index in Redis: a hash per run and one sorted set for listing, so every machine sees every run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import redis
from redis.client import Pipeline
from redis.typing import EncodableT, FieldT

from tools.storage.run_records import RunExists, RunRecord, check_status, stored_status


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisRunIndex:
    """Reads and writes the run index under `<prefix>:run:<id>` (hash) and `<prefix>:runs` (sorted set)."""

    def __init__(self, client: redis.Redis, prefix: str = "reelforge") -> None:
        """Use `client` (decoded or raw responses alike) and keep every key under `prefix`."""
        self.client = client
        self.prefix = prefix
        # Members are "<seq>:<run id>" scored by created_at, so ties list in reverse insertion order as
        # SQLite's `created_at DESC, rowid DESC` does; seq is zero-padded to sort as text.
        self._list_key = f"{prefix}:runs"
        self._seq_key = f"{prefix}:runs:seq"

    def _run_key(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}"

    def _publications_key(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}:publications"

    def record_publication(self, run_id: str, publication: dict[str, Any]) -> None:
        """Record a publication (or its intent) under its idempotency key; the newest record wins."""
        key = str(publication.get("key") or f"{publication['target']}:{publication.get('id', '')}")
        seq = int(self.client.incr(self._seq_key))
        pipe = self.client.pipeline(transaction=True)
        # The order hash keeps when each key was first recorded; the other hash holds its newest record.
        pipe.hsetnx(f"{self._publications_key(run_id)}:order", key, seq)
        pipe.hset(self._publications_key(run_id), key, json.dumps(publication))
        pipe.execute()

    def publications(self, run_id: str) -> list[dict[str, Any]]:
        """A run's publications and pending intents, in the order they were first recorded."""
        records = cast("dict[Any, Any]", self.client.hgetall(self._publications_key(run_id)))
        order = cast("dict[Any, Any]", self.client.hgetall(f"{self._publications_key(run_id)}:order"))
        keys = sorted(records, key=lambda key: (int(order.get(key, 0)), _text(key)))
        return [json.loads(_text(records[key])) for key in keys]

    def create(
        self,
        run_id: str,
        thread_id: str,
        topic: str,
        job: dict[str, Any],
        *,
        status: str = "queued",
        place: str = "local",
    ) -> None:
        """Add a new run; raise RunExists if the id is taken."""
        key = self._run_key(run_id)
        now = _now()
        seq = int(self.client.incr(self._seq_key))
        member = f"{seq:016d}:{run_id}"
        mapping: dict[FieldT, EncodableT] = {
            "run_id": run_id,
            "thread_id": thread_id,
            "topic": topic,
            "status": check_status(status),
            "place": place,
            "created_at": now,
            "updated_at": now,
            "job": json.dumps(job),
            "member": member,
        }

        def write(pipe: Pipeline) -> None:
            if pipe.exists(key):
                raise RunExists(run_id)
            pipe.multi()
            pipe.hset(key, mapping=mapping)
            pipe.zadd(self._list_key, {member: datetime.fromisoformat(now).timestamp()})

        self.client.transaction(write, key)

    def set_status(
        self,
        run_id: str,
        status: str,
        *,
        video: str | None = None,
        error: str | None = None,
        gate: str | None = None,
    ) -> None:
        """Move a run to `status`, keeping the video path once one is known; a missing run is left alone."""
        key = self._run_key(run_id)
        fields: dict[FieldT, EncodableT] = {"status": check_status(status), "updated_at": _now()}
        if video is not None:
            fields["video"] = video
        # error and gate describe the current status only: absent means None.
        if error is not None:
            fields["error"] = error
        if gate is not None:
            fields["gate"] = gate
        cleared = [name for name, value in (("error", error), ("gate", gate)) if value is None]

        def write(pipe: Pipeline) -> None:
            if not pipe.exists(key):
                return
            pipe.multi()
            pipe.hset(key, mapping=fields)
            if cleared:
                pipe.hdel(key, *cleared)

        self.client.transaction(write, key)

    def get(self, run_id: str) -> RunRecord | None:
        """Return one run, or None."""
        return _record(self.client.hgetall(self._run_key(run_id)))

    def delete(self, run_id: str) -> None:
        """Forget one run; a missing run is not an error."""
        key = self._run_key(run_id)

        def write(pipe: Pipeline) -> None:
            member = pipe.hget(key, "member")
            if member is None:
                return
            pipe.multi()
            pipe.delete(key, self._publications_key(run_id), f"{self._publications_key(run_id)}:order")
            pipe.zrem(self._list_key, _text(member))

        self.client.transaction(write, key)

    def list(self, limit: int = 50) -> list[RunRecord]:
        """Return the newest runs first (a negative limit means all, as SQLite's LIMIT does)."""
        if limit == 0:
            return []
        members = cast(
            "list[bytes | str]", self.client.zrevrange(self._list_key, 0, limit - 1 if limit > 0 else -1)
        )
        pipe = self.client.pipeline(transaction=False)
        for member in members:
            pipe.hgetall(self._run_key(_text(member).split(":", 1)[1]))
        records = (_record(found) for found in pipe.execute())
        # A run deleted between the two round trips is simply left out.
        return [record for record in records if record is not None]


def _record(found: dict[Any, Any]) -> RunRecord | None:
    if not found:
        return None
    # `video`, `error` and `gate` are absent while None; `member` is the run's entry in the sorted set.
    row = {_text(name): _text(value) for name, value in found.items()}
    return RunRecord(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        topic=row["topic"],
        status=stored_status(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        job=json.loads(row["job"]),
        video=row.get("video"),
        error=row.get("error"),
        place=row.get("place", "local"),
        gate=row.get("gate"),
    )
