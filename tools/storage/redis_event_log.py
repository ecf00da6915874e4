"""A run's events in a capped Redis Stream, so a follower on any machine can read from the start or tail."""

from __future__ import annotations

import json
from typing import Any, cast

import redis

from state.events import EventDraft, RunEvent
from tools.storage.event_log import stamp

# Streams are capped: a run makes a few hundred events; this leaves room for many resumes and regenerations.
MAX_EVENTS = 10_000
# Number and add in one step, so a number is never used twice, whichever process writes.
_APPEND = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'seq', seq, 'event', ARGV[1])
return seq
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _field(fields: dict[Any, Any], name: str) -> str | None:
    raw = fields.get(name.encode(), fields.get(name))
    return None if raw is None else _text(raw)


class RedisEventLog:
    """Appends to and reads the stream `<prefix>:events:<run id>` (decoded or raw clients alike)."""

    def __init__(self, client: redis.Redis, run_id: str, prefix: str = "reelforge") -> None:
        """Use `client`; nothing is written until the first append."""
        self.client, self.run_id = client, run_id
        self.key = f"{prefix}:events:{run_id}"
        self.seq_key = f"{self.key}:seq"
        # (seq, stream id) of the last event read: a follower goes on from there with XREAD.
        self._cursor: tuple[int, str] = (0, "0-0")

    def append(self, draft: EventDraft) -> RunEvent:
        """Number, stamp and add one event; return it as stored."""
        event = stamp(draft, self.run_id, 0)
        body = json.dumps({key: value for key, value in event.items() if key != "seq"})
        seq = int(cast(Any, self.client.eval(_APPEND, 2, self.key, self.seq_key, body, MAX_EVENTS)))
        return cast(RunEvent, {**event, "seq": seq})

    def read(self, after: int = 0, wait_s: float = 0.0) -> list[RunEvent]:
        """Events numbered above `after`, oldest first; block up to `wait_s` for the first one."""
        if after != self._cursor[0]:
            # A reader starting somewhere else (the start, an SSE client's Last-Event-ID): scan once.
            fresh = [
                event
                for event in self._take(cast(list[Any], self.client.xrange(self.key)))
                if event["seq"] > after
            ]
            if fresh or not wait_s:
                return fresh
        reply = self.client.xread(
            {self.key: self._cursor[1]}, block=max(1, int(wait_s * 1000)) if wait_s else None
        )
        entries = cast(list[Any], reply)[0][1] if reply else []
        return [event for event in self._take(entries) if event["seq"] > after]

    def _take(self, entries: list[Any]) -> list[RunEvent]:
        """Decode stream entries and move the cursor past them."""
        events = []
        for entry_id, fields in entries:
            seq, body = _field(fields, "seq"), _field(fields, "event")
            if seq is None or body is None:
                continue
            events.append(cast(RunEvent, {**json.loads(body), "seq": int(seq)}))
            self._cursor = (int(seq), _text(entry_id))
        return events

    def delete(self) -> None:
        """Remove the stream and its counter (cleanup does this with the run)."""
        self.client.delete(self.key, self.seq_key)
