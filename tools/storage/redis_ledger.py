"""The usage ledger and health log in Redis: the same records and totals as the SQLite ledger, shared."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

import redis
from redis.client import Pipeline

from tools.storage.ledger_records import (
    LATENCY_BOUNDS_S,
    CallStats,
    CostRow,
    GroupBy,
    HealthRecord,
    UsageRecord,
)

# Ids are zero-padded so that equal timestamps sort by insertion, as SQLite's `ORDER BY ts, id` does.
_ID_WIDTH = 16
# HMGET in slices, so that a month of calls never becomes one huge reply.
_CHUNK = 1000


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bound(since: float | None) -> float | str:
    return "-inf" if since is None else since


class RedisUsageLedger:
    """Reads and writes the ledger and health log under `<prefix>:usage…` and `<prefix>:health…`."""

    def __init__(self, client: redis.Redis, prefix: str = "reelforge") -> None:
        """Use `client` (decoded or raw responses alike) and keep every key under `prefix`."""
        self.client = client
        self.prefix = prefix
        # usage: hash id → JSON record; usage:ts and usage:run:<run id>: sorted sets of ids scored by ts.
        self._usage = f"{prefix}:usage"
        self._usage_seq = f"{prefix}:usage:seq"
        self._usage_by_ts = f"{prefix}:usage:ts"
        # health: hash id → JSON check; health:pairs: set of JSON [provider, capability];
        # health:pair:<JSON pair>: sorted set of ids scored by ts, newest last.
        self._health = f"{prefix}:health"
        self._health_seq = f"{prefix}:health:seq"
        self._health_pairs = f"{prefix}:health:pairs"

    def _usage_by_run(self, run_id: str) -> str:
        return f"{self.prefix}:usage:run:{run_id}"

    def _health_by_pair(self, pair: str) -> str:
        return f"{self.prefix}:health:pair:{pair}"

    def _next_id(self, counter: str) -> str:
        return f"{int(self.client.incr(counter)):0{_ID_WIDTH}d}"

    def record(self, usage: UsageRecord) -> None:
        """Append one call."""
        usage_id = self._next_id(self._usage_seq)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self._usage, usage_id, json.dumps(asdict(usage)))
        pipe.zadd(self._usage_by_ts, {usage_id: usage.ts})
        pipe.zadd(self._usage_by_run(usage.run_id), {usage_id: usage.ts})
        pipe.execute()

    def usage(self, run_id: str | None = None, since: float | None = None) -> list[UsageRecord]:
        """Calls, oldest first, for one run and/or since a time."""
        key = self._usage_by_ts if run_id is None else self._usage_by_run(run_id)
        return list(self._usage_since(key, since))

    def costs(self, by: GroupBy = "provider", since: float | None = None) -> list[CostRow]:
        """Totals grouped by provider, day (UTC) or run, largest cost first (days in date order)."""
        groups: dict[str, list[UsageRecord]] = {}
        for usage in self._usage_since(self._usage_by_ts, since):
            groups.setdefault(_group_key(usage, by), []).append(usage)
        rows = [
            CostRow(
                key=key,
                calls=len(calls),
                failures=sum(not call.ok for call in calls),
                cost_usd=math.fsum(call.cost_usd for call in calls),
                premium_usd=math.fsum(call.premium_usd for call in calls),
                self_hosted_calls=sum(call.ok and call.tier == "self-hosted" for call in calls),
            )
            for key, calls in groups.items()
        ]
        if by == "day":
            return sorted(rows, key=lambda row: row.key)
        return sorted(rows, key=lambda row: (-row.cost_usd, row.key))

    def call_stats(
        self, since: float | None = None, bounds: tuple[float, ...] = LATENCY_BOUNDS_S
    ) -> list[CallStats]:
        """Calls, failures and wall time per provider and capability, with latency bucket counts."""
        groups: dict[tuple[str, str], list[UsageRecord]] = {}
        for usage in self._usage_since(self._usage_by_ts, since):
            groups.setdefault((usage.provider, usage.capability), []).append(usage)
        return [
            CallStats(
                provider=provider,
                capability=capability,
                calls=len(calls),
                failures=sum(not call.ok for call in calls),
                seconds=math.fsum(call.wall_ms for call in calls) / 1000.0,
                buckets=tuple(sum(call.wall_ms <= bound * 1000.0 for call in calls) for bound in bounds),
            )
            for (provider, capability), calls in sorted(groups.items())
        ]

    def record_health(self, check: HealthRecord) -> HealthRecord | None:
        """Append one health check; return the previous check of the same provider and capability."""
        check_id = self._next_id(self._health_seq)
        pair = json.dumps([check.provider, check.capability])
        key = self._health_by_pair(pair)
        previous: list[HealthRecord] = []

        # WATCH makes "read the newest, then add" one step even across machines: a racing write retries.
        def write(pipe: Pipeline) -> None:
            previous.clear()
            newest = cast("list[bytes | str]", pipe.zrevrange(key, 0, 0))
            raw = pipe.hget(self._health, newest[0]) if newest else None
            if raw is not None:
                previous.append(_health(raw))
            pipe.multi()
            pipe.hset(self._health, check_id, json.dumps(asdict(check)))
            pipe.zadd(key, {check_id: check.ts})
            pipe.sadd(self._health_pairs, pair)

        self.client.transaction(write, key)
        return previous[0] if previous else None

    def latest_health(self) -> dict[tuple[str, str], HealthRecord]:
        """The newest check of each (provider, capability)."""
        pairs = sorted(_text(pair) for pair in self.client.smembers(self._health_pairs))
        pipe = self.client.pipeline(transaction=False)
        for pair in pairs:
            pipe.zrevrange(self._health_by_pair(pair), 0, 0)
        newest = [_text(ids[0]) for ids in pipe.execute() if ids]
        checks = (_health(raw) for raw in self._fetch(self._health, newest))
        return {(check.provider, check.capability): check for check in checks}

    def _usage_since(self, key: str, since: float | None) -> Iterator[UsageRecord]:
        ids = cast("list[bytes | str]", self.client.zrangebyscore(key, _bound(since), "+inf"))
        for raw in self._fetch(self._usage, [_text(usage_id) for usage_id in ids]):
            yield UsageRecord(**json.loads(raw))

    def _fetch(self, hash_key: str, ids: list[str]) -> Iterator[str]:
        for start in range(0, len(ids), _CHUNK):
            values = self.client.hmget(hash_key, ids[start : start + _CHUNK])
            yield from (_text(value) for value in values if value is not None)


def _group_key(usage: UsageRecord, by: GroupBy) -> str:
    if by == "provider":
        return usage.provider
    if by == "run":
        return usage.run_id
    return datetime.fromtimestamp(usage.ts, UTC).date().isoformat()


def _health(raw: Any) -> HealthRecord:
    return HealthRecord(**json.loads(_text(raw)))
