"""The key layout and command plans shared by the sync and async Redis checkpoint savers.

Works on any Redis 6+ or Valkey without RedisJSON or RediSearch. Key layout, with `P` the prefix
(default "reelforge:cp") and every thread id, namespace, channel and version percent-encoded so that it holds
no ":" (":" -> "%3A", "%" -> "%25"):

- `P:checkpoint:{thread}:{ns}:{id}`          hash: checkpoint (no channel values), metadata, parent, run_id
- `P:blob:{thread}:{ns}:{channel}:{version}` string: one channel value, written once per channel version
- `P:writes:{thread}:{ns}:{id}`              hash: pending writes, field "{task_id}:{idx}"
- `P:timeline:{thread}:{ns}`                 sorted set: checkpoint ids, all score 0, ordered by ZRANGEBYLEX
- `P:namespaces:{thread}`                    set: the thread's checkpoint namespaces
- `P:index:{thread}`                         set: every key above written for the thread, for deletes

Each put and put_writes is one MULTI/EXEC transaction. Serialized values are stored as `type|bytes`, from the
saver's serde. With `ttl_s`, every key a write touches gets that TTL again, and so do the blobs the newest
checkpoint refers to, so a thread's latest state lives `ttl_s` after its last write; older history may
expire earlier, and reads skip what has expired.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

DEFAULT_PREFIX = "reelforge:cp"
# How many checkpoints list() loads per round trip.
_PAGE = 64
# How many keys go into one DEL.
_CHUNK = 512
_SEP = b"|"
_EMPTY = b"empty" + _SEP

T = TypeVar("T")
Command = tuple[Any, ...]
Ref = tuple[str, str, str]  # thread id, namespace, checkpoint id


@dataclass(frozen=True)
class _Batch:
    """Commands sent in one round trip; `atomic` wraps them in MULTI/EXEC."""

    commands: list[Command]
    atomic: bool = False


# A plan yields batches (and gets their replies back) or results for the caller; the sync and the async
# saver drive the same plans, so both store exactly the same layout.
Plan = Generator["_Batch | T", Any, None]
SubPlan = Generator[_Batch, Any, T]


def _enc(part: object) -> str:
    return str(part).replace("%", "%25").replace(":", "%3A")


def _dec(part: str) -> str:
    return unquote(part)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class _RedisSaverBase(BaseCheckpointSaver[str]):
    """The layout and every operation as a plan of Redis commands, shared by the sync and async savers."""

    def __init__(
        self,
        *,
        ttl_s: int | None = None,
        prefix: str = DEFAULT_PREFIX,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        if ttl_s is not None and ttl_s <= 0:
            raise ValueError(f"ttl_s must be a positive number of seconds, not {ttl_s}")
        if not prefix:
            raise ValueError("prefix must not be empty")
        self.ttl_s = ttl_s
        self.prefix = prefix

    # --- keys -------------------------------------------------------------------------------------------

    def _key(self, kind: str, *parts: object) -> str:
        return ":".join([self.prefix, kind, *(_enc(p) for p in parts)])

    def _parse_key(self, key: str) -> tuple[str, list[str]]:
        """Split one of our keys into its kind and decoded parts."""
        kind, *parts = key[len(self.prefix) + 1 :].split(":")
        return kind, [_dec(p) for p in parts]

    def _rename_thread(self, key: str, thread_id: str) -> str:
        kind, parts = self._parse_key(key)
        return self._key(kind, thread_id, *parts[1:])

    # --- encoding ---------------------------------------------------------------------------------------

    def _pack(self, value: Any) -> bytes:
        type_, data = self.serde.dumps_typed(value)
        if "|" in type_:
            raise ValueError(f"serializer type {type_!r} must not contain '|'")
        return type_.encode() + _SEP + data

    def _unpack(self, raw: bytes) -> Any:
        type_, _, data = raw.partition(_SEP)
        return self.serde.loads_typed((type_.decode(), data))

    def _pack_write(self, task_id: str, channel: str, value: Any, task_path: str, idx: int) -> bytes:
        type_, data = self.serde.dumps_typed(value)
        header = json.dumps([task_id, channel, type_, task_path, idx], separators=(",", ":"))
        return header.encode() + b"\n" + data

    def _unpack_writes(self, stored: dict[bytes, bytes]) -> list[PendingWrite]:
        rows: list[tuple[tuple[str, str, int], PendingWrite]] = []
        for raw in stored.values():
            header, _, data = raw.partition(b"\n")
            task_id, channel, type_, task_path, idx = json.loads(header)
            value = self.serde.loads_typed((type_, data))
            rows.append((writes_sort_key(task_path, task_id, idx), (task_id, channel, value)))
        rows.sort(key=lambda row: row[0])
        return [write for _, write in rows]

    @staticmethod
    def _config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint_id,
            }
        }

    def _expire(self, keys: Sequence[str]) -> list[Command]:
        if self.ttl_s is None:
            return []
        return [("EXPIRE", key, self.ttl_s) for key in keys]

    # --- plans ------------------------------------------------------------------------------------------

    def _load(
        self, refs: Sequence[Ref], filter: dict[str, Any] | None = None
    ) -> SubPlan[list[CheckpointTuple]]:
        """Load checkpoints (skipping missing ones and those `filter` rejects) with values and writes."""
        if not refs:
            return []
        replies = yield _Batch(
            [
                cmd
                for thread_id, ns, cid in refs
                for cmd in (
                    ("HGETALL", self._key("checkpoint", thread_id, ns, cid)),
                    ("HGETALL", self._key("writes", thread_id, ns, cid)),
                )
            ]
        )
        found: list[tuple[Ref, Checkpoint, CheckpointMetadata, str, dict[bytes, bytes]]] = []
        for i, ref in enumerate(refs):
            row: dict[bytes, bytes] = replies[2 * i]
            if not row:
                continue
            metadata: CheckpointMetadata = self._unpack(row[b"metadata"])
            if filter and not all(metadata.get(k) == v for k, v in filter.items()):
                continue
            checkpoint: Checkpoint = self._unpack(row[b"checkpoint"])
            found.append((ref, checkpoint, metadata, row.get(b"parent", b"").decode(), replies[2 * i + 1]))

        blob_keys = list(
            dict.fromkeys(
                self._key("blob", thread_id, ns, channel, version)
                for (thread_id, ns, _), checkpoint, *_ in found
                for channel, version in checkpoint["channel_versions"].items()
            )
        )
        blobs: dict[str, bytes | None] = {}
        if blob_keys:
            (values,) = yield _Batch([("MGET", *blob_keys)])
            blobs = dict(zip(blob_keys, values, strict=True))

        tuples: list[CheckpointTuple] = []
        for (thread_id, ns, cid), checkpoint, metadata, parent, writes in found:
            channel_values: dict[str, Any] = {}
            for channel, version in checkpoint["channel_versions"].items():
                raw = blobs.get(self._key("blob", thread_id, ns, channel, version))
                if raw is None or raw == _EMPTY:
                    continue
                channel_values[channel] = self._unpack(raw)
            tuples.append(
                CheckpointTuple(
                    config=self._config(thread_id, ns, cid),
                    checkpoint={**checkpoint, "channel_values": channel_values},
                    metadata=metadata,
                    parent_config=self._config(thread_id, ns, parent) if parent else None,
                    pending_writes=self._unpack_writes(writes),
                )
            )
        return tuples

    def _get_tuple_plan(self, config: RunnableConfig) -> Plan[CheckpointTuple]:
        thread_id = str(config["configurable"]["thread_id"])
        ns = str(config["configurable"].get("checkpoint_ns", ""))
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id is None:
            (ids,) = yield _Batch(
                [("ZREVRANGEBYLEX", self._key("timeline", thread_id, ns), "+", "-", "LIMIT", 0, 1)]
            )
            if not ids:
                return
            checkpoint_id = _text(ids[0])
        found = yield from self._load([(thread_id, ns, checkpoint_id)])
        yield from found

    def _timelines(self, config: RunnableConfig | None) -> SubPlan[list[tuple[str, str]]]:
        """The (thread, namespace) pairs that `config` selects."""
        if config is None:
            found: list[tuple[str, str]] = []
            cursor = 0
            pattern = _glob_escape(self.prefix) + ":timeline:*"
            while True:
                ((cursor, keys),) = yield _Batch([("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)])
                for key in keys:
                    _, (thread_id, ns) = self._parse_key(_text(key))
                    found.append((thread_id, ns))
                if int(cursor) == 0:
                    return sorted(set(found))
        thread_id = str(config["configurable"]["thread_id"])
        if "checkpoint_ns" in config["configurable"]:
            return [(thread_id, str(config["configurable"]["checkpoint_ns"]))]
        (namespaces,) = yield _Batch([("SMEMBERS", self._key("namespaces", thread_id))])
        return [(thread_id, _text(ns)) for ns in sorted(namespaces)]

    def _list_plan(
        self,
        config: RunnableConfig | None,
        filter: dict[str, Any] | None,
        before: RunnableConfig | None,
        limit: int | None,
    ) -> Plan[CheckpointTuple]:
        if limit is not None and limit <= 0:
            return
        timelines = yield from self._timelines(config)
        before_id = get_checkpoint_id(before) if before else None
        wanted_id = get_checkpoint_id(config) if config else None
        refs: list[Ref] = []
        if wanted_id is not None:
            if before_id is None or wanted_id < before_id:
                refs = [(thread_id, ns, wanted_id) for thread_id, ns in timelines]
        elif timelines:
            high = f"({before_id}" if before_id else "+"
            page = ("LIMIT", 0, limit) if limit is not None and not filter else ()
            replies = yield _Batch(
                [("ZREVRANGEBYLEX", self._key("timeline", t, ns), high, "-", *page) for t, ns in timelines]
            )
            refs = [
                (t, ns, _text(cid)) for (t, ns), ids in zip(timelines, replies, strict=True) for cid in ids
            ]
            refs.sort(key=lambda ref: ref[2], reverse=True)
        remaining = limit
        for chunk in _chunks(refs, _PAGE):
            for tup in (yield from self._load(chunk, filter)):
                yield tup
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return

    def _put_plan(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Plan[RunnableConfig]:
        thread_id = str(config["configurable"]["thread_id"])
        ns = str(config["configurable"].get("checkpoint_ns", ""))
        parent_id = config["configurable"].get("checkpoint_id") or ""
        stored = checkpoint.copy()
        values: dict[str, Any] = stored.pop("channel_values")  # type: ignore[misc]
        meta = get_serializable_checkpoint_metadata(config, metadata)
        ex = ("EX", self.ttl_s) if self.ttl_s is not None else ()

        commands: list[Command] = []
        new_blobs: list[str] = []
        for channel, version in new_versions.items():
            key = self._key("blob", thread_id, ns, channel, version)
            data = self._pack(values[channel]) if channel in values else _EMPTY
            commands.append(("SET", key, data, *ex))
            new_blobs.append(key)
        cp_key = self._key("checkpoint", thread_id, ns, checkpoint["id"])
        timeline = self._key("timeline", thread_id, ns)
        namespaces = self._key("namespaces", thread_id)
        index = self._key("index", thread_id)
        commands += [
            (
                "HSET",
                cp_key,
                "checkpoint",
                self._pack(stored),
                "metadata",
                self._pack(meta),
                "parent",
                parent_id,
                "run_id",
                str(meta.get("run_id") or ""),
            ),
            ("ZADD", timeline, 0, checkpoint["id"]),
            ("SADD", namespaces, ns),
            ("SADD", index, cp_key, timeline, namespaces, *new_blobs),
        ]
        if self.ttl_s is not None:
            # Unchanged channels still belong to the newest state: keep their blobs alive with it.
            kept = [
                self._key("blob", thread_id, ns, channel, version)
                for channel, version in checkpoint["channel_versions"].items()
                if channel not in new_versions
            ]
            commands += self._expire([cp_key, timeline, namespaces, index, *kept])
        yield _Batch(commands, atomic=True)
        yield self._config(thread_id, ns, checkpoint["id"])

    def _put_writes_plan(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
    ) -> Plan[None]:
        thread_id = str(config["configurable"]["thread_id"])
        ns = str(config["configurable"].get("checkpoint_ns", ""))
        checkpoint_id = str(config["configurable"]["checkpoint_id"])
        key = self._key("writes", thread_id, ns, checkpoint_id)
        index = self._key("index", thread_id)
        commands: list[Command] = []
        for i, (channel, value) in enumerate(writes):
            idx = WRITES_IDX_MAP.get(channel, i)
            payload = self._pack_write(task_id, channel, value, task_path, idx)
            # Special writes (errors, interrupts) replace the previous one; a regular write is kept as first
            # written, so a retried task cannot change what an earlier attempt recorded.
            commands.append(("HSET" if idx < 0 else "HSETNX", key, f"{task_id}:{idx}", payload))
        if not commands:
            return
        commands.append(("SADD", index, key))
        commands += self._expire(
            [
                key,
                index,
                self._key("checkpoint", thread_id, ns, checkpoint_id),
                self._key("timeline", thread_id, ns),
                self._key("namespaces", thread_id),
            ]
        )
        yield _Batch(commands, atomic=True)

    def _delete_thread_plan(self, thread_id: str) -> Plan[None]:
        index = self._key("index", str(thread_id))
        (members,) = yield _Batch([("SMEMBERS", index)])
        keys = [_text(m) for m in members] + [index, self._key("namespaces", str(thread_id))]
        yield _Batch([("DEL", *chunk) for chunk in _chunks(keys)], atomic=True)

    def _delete_for_runs_plan(self, run_ids: Sequence[str]) -> Plan[None]:
        wanted = {str(r).encode() for r in run_ids}
        if not wanted:
            return
        pattern = _glob_escape(self.prefix) + ":checkpoint:*"
        cursor = 0
        while True:
            ((cursor, keys),) = yield _Batch([("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)])
            names = [_text(k) for k in keys]
            runs = (yield _Batch([("HGET", k, "run_id") for k in names])) if names else []
            commands: list[Command] = []
            for key, run_id in zip(names, runs, strict=True):
                if run_id not in wanted:
                    continue
                _, (thread_id, ns, cid) = self._parse_key(key)
                writes = self._key("writes", thread_id, ns, cid)
                # Blobs may be shared with the thread's other checkpoints: they go with delete_thread or TTL.
                commands += [
                    ("DEL", key, writes),
                    ("ZREM", self._key("timeline", thread_id, ns), cid),
                    ("SREM", self._key("index", thread_id), key, writes),
                ]
            if commands:
                yield _Batch(commands, atomic=True)
            if int(cursor) == 0:
                return

    def _copy_thread_plan(self, source_thread_id: str, target_thread_id: str) -> Plan[None]:
        source, target = str(source_thread_id), str(target_thread_id)
        (members,) = yield _Batch([("SMEMBERS", self._key("index", source))])
        keys = sorted(_text(m) for m in members)
        if not keys:
            return
        # Timelines and namespace sets merge into the target's; everything else is copied with DUMP/RESTORE,
        # which works on Redis before 6.2 (no COPY) and keeps each key's type.
        merged = {key for key in keys if self._parse_key(key)[0] in ("timeline", "namespaces")}
        dumped = [key for key in keys if key not in merged]
        payloads = (yield _Batch([("DUMP", key) for key in dumped])) if dumped else []
        ttl_ms = (self.ttl_s or 0) * 1000
        commands: list[Command] = []
        copied: list[str] = []
        for key in sorted(merged):
            new = self._rename_thread(key, target)
            if self._parse_key(key)[0] == "timeline":
                commands.append(("ZUNIONSTORE", new, 2, new, key))
            else:
                commands.append(("SUNIONSTORE", new, new, key))
            copied.append(new)
        for key, payload in zip(dumped, payloads, strict=True):
            if payload is not None:
                new = self._rename_thread(key, target)
                commands.append(("RESTORE", new, ttl_ms, payload, "REPLACE"))
                copied.append(new)
        index = self._key("index", target)
        commands.append(("SADD", index, *copied))
        commands += self._expire([index, *(self._rename_thread(key, target) for key in sorted(merged))])
        yield _Batch(commands, atomic=True)

    def _prune_plan(self, thread_ids: Sequence[str], strategy: str) -> Plan[None]:
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}; use 'keep_latest' or 'delete'")
        for thread_id in map(str, thread_ids):
            if strategy == "delete":
                yield from self._delete_thread_plan(thread_id)
                continue
            namespaces, members = yield _Batch(
                [
                    ("SMEMBERS", self._key("namespaces", thread_id)),
                    ("SMEMBERS", self._key("index", thread_id)),
                ]
            )
            nss = [_text(ns) for ns in namespaces]
            if not nss:
                continue
            timelines = yield _Batch(
                [("ZREVRANGEBYLEX", self._key("timeline", thread_id, ns), "+", "-") for ns in nss]
            )
            latest = {ns: _text(ids[0]) for ns, ids in zip(nss, timelines, strict=True) if ids}
            stored = yield _Batch(
                [
                    ("HGET", self._key("checkpoint", thread_id, ns, cid), "checkpoint")
                    for ns, cid in latest.items()
                ]
            )
            keep: set[str] = set()
            for ns, raw in zip(latest, stored, strict=True):
                if raw is not None:
                    versions = self._unpack(raw)["channel_versions"]
                    keep.update(self._key("blob", thread_id, ns, ch, v) for ch, v in versions.items())
            doomed = [
                key
                for key in (_text(m) for m in members)
                if self._parse_key(key)[0] == "blob" and key not in keep
            ]
            commands: list[Command] = []
            for ns, ids in zip(nss, timelines, strict=True):
                old = [_text(cid) for cid in ids[1:]]
                if not old:
                    continue
                commands.append(("ZREM", self._key("timeline", thread_id, ns), *old))
                for cid in old:
                    doomed += [
                        self._key("checkpoint", thread_id, ns, cid),
                        self._key("writes", thread_id, ns, cid),
                    ]
            if not doomed:
                continue
            for chunk in _chunks(doomed):
                commands += [("DEL", *chunk), ("SREM", self._key("index", thread_id), *chunk)]
            yield _Batch(commands, atomic=True)

    def get_next_version(self, current: str | None, channel: None) -> str:
        """A sortable version with a random tail, so a fork never reuses another branch's blob key."""
        if current is None:
            number = 0
        elif isinstance(current, int):
            number = current
        else:
            number = int(str(current).split(".")[0])
        return f"{number + 1:032}.{random.random():016}"
