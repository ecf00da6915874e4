"""A run's events in its folder: one JSON line each in events.jsonl, numbered from 1 across attempts."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from state.events import EventDraft, RunEvent

EVENTS_NAME = "events.jsonl"
_POLL_S = 0.1
# Enough to hold the last few lines of any event.
_TAIL_BYTES = 64 * 1024


def stamp(draft: EventDraft, run_id: str, seq: int) -> RunEvent:
    """The stored form of `draft`: numbered, with the run id and the time in UTC."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return cast(RunEvent, {"seq": seq, "run_id": run_id, "ts": now, **draft})


class FileEventLog:
    """Appends to and reads `<run dir>/events.jsonl`; one writer at a time (the run's lock sees to that)."""

    def __init__(self, run_dir: Path, run_id: str) -> None:
        """Use the log in `run_dir`; nothing is created until the first append."""
        self.path = run_dir / EVENTS_NAME
        self.run_id = run_id
        # Where the previous read stopped, so a follower reads each line once.
        self._offset, self._offset_seq = 0, 0

    def append(self, draft: EventDraft) -> RunEvent:
        """Number, stamp and append one event; return it as stored."""
        event = stamp(draft, self.run_id, self._last_seq() + 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One O_APPEND write per line: a reader never sees half of another writer's line.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (json.dumps(event, separators=(",", ":")) + "\n").encode())
        finally:
            os.close(fd)
        return event

    def _last_seq(self) -> int:
        """The number of the last complete line; read from the end, so appending stays cheap."""
        try:
            with open(self.path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - _TAIL_BYTES))
                tail = handle.read()
        except FileNotFoundError:
            return 0
        for line in reversed(tail.splitlines()):
            try:
                return int(json.loads(line)["seq"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
        return 0

    def read(self, after: int = 0, wait_s: float = 0.0) -> list[RunEvent]:
        """Events numbered above `after`, oldest first; wait up to `wait_s` for the first one."""
        deadline = time.monotonic() + wait_s
        while True:
            start = self._offset if after == self._offset_seq else 0
            events, offset = self._read_from(start)
            fresh = [event for event in events if event["seq"] > after]
            if events:
                self._offset, self._offset_seq = offset, events[-1]["seq"]
            if fresh or time.monotonic() >= deadline:
                return fresh
            time.sleep(_POLL_S)

    def _read_from(self, offset: int) -> tuple[list[RunEvent], int]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return [], 0
        # A line still being written has no newline yet: leave it for the next read.
        complete = data[: data.rfind(b"\n") + 1]
        events = []
        for line in complete.splitlines():
            try:
                events.append(cast(RunEvent, json.loads(line)))
            except json.JSONDecodeError:
                continue
        return events, offset + len(complete)

    def delete(self) -> None:
        """Remove the log (cleanup does this with the run folder)."""
        self.path.unlink(missing_ok=True)
