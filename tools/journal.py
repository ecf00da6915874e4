"""The execution journal: one line per node start and end, so counts and timings survive a crash."""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.files import write_text_atomic

JOURNAL_NAME = "executions.jsonl"
# Each finished node's update, by LangGraph task id: the node's end is committed here, before LangGraph
# saves the task's writes, so a kill between the two never runs the node again.
RESULTS_DIR = "results"


def _append(run_dir: Path, record: dict[str, Any]) -> None:
    # O_APPEND writes of one short line are atomic, so parallel scene branches never interleave;
    # fsync makes the record outlive a SIGKILL that lands right after it.
    run_dir.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    fd = os.open(run_dir / JOURNAL_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def record_start(run_dir: Path, agent: str, node: str, task: str | None = None) -> float:
    """Record that a node started (as LangGraph task `task`); return the start time for `record_end`."""
    started = time.time()
    record = {"event": "start", "agent": agent, "node": node, "t": started, "pid": os.getpid(), "task": task}
    _append(run_dir, record)
    return started


def record_end(
    run_dir: Path, agent: str, node: str, started: float, ok: bool, task: str | None = None
) -> None:
    """Record that a node finished (or failed) and how long it took."""
    now = time.time()
    record = {"event": "end", "agent": agent, "node": node, "t": now, "seconds": now - started, "ok": ok}
    _append(run_dir, {**record, "task": task})


def record_replay(run_dir: Path, agent: str, node: str, task: str) -> None:
    """Record that a node's committed result was handed back instead of running it again."""
    record = {"event": "replay", "agent": agent, "node": node, "t": time.time(), "pid": os.getpid()}
    _append(run_dir, {**record, "task": task})


def _result_path(run_dir: Path, task_id: str) -> Path:
    # Task ids are LangGraph's hex digests or UUIDs; anything else must not name a path.
    if not task_id or not all(ch.isalnum() or ch == "-" for ch in task_id):
        raise ValueError(f"not a task id: {task_id!r}")
    return run_dir / RESULTS_DIR / f"{task_id}.json"


def save_result(run_dir: Path, task_id: str, result: Any) -> bool:
    """Commit a finished node's update under its task id; False when it is not JSON (it is then not kept)."""
    try:
        text = json.dumps(result, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return False
    write_text_atomic(_result_path(run_dir, task_id), text)
    return True


def saved_result(run_dir: Path, task_id: str) -> Any | None:
    """The update a node committed under this task id, or None when it never finished."""
    path = _result_path(run_dir, task_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass
class JournalSummary:
    """What the journal says about a run."""

    starts: dict[str, int] = field(default_factory=dict)
    finished: dict[str, int] = field(default_factory=dict)
    node_seconds: dict[str, float] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)


def read_journal(run_dir: Path) -> list[dict[str, Any]]:
    """Return the journal's records; a torn last line from a crash is skipped."""
    path = run_dir / JOURNAL_NAME
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_start is not None and current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None and current_end is not None:
        total += current_end - current_start
    return total


def summarize_journal(run_dir: Path) -> JournalSummary:
    """Count node executions and add up node and stage wall time (parallel branches overlap once)."""
    summary = JournalSummary()
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for record in read_journal(run_dir):
        key = f"{record['agent']}.{record['node']}"
        if record["event"] == "start":
            summary.starts[key] = summary.starts.get(key, 0) + 1
        elif record["event"] == "end":
            if record.get("ok"):
                summary.finished[key] = summary.finished.get(key, 0) + 1
            seconds = float(record["seconds"])
            summary.node_seconds[key] = summary.node_seconds.get(key, 0.0) + seconds
            intervals[record["agent"]].append((record["t"] - seconds, record["t"]))
    summary.stage_seconds = {agent: round(_union_length(spans), 3) for agent, spans in intervals.items()}
    summary.node_seconds = {k: round(v, 3) for k, v in summary.node_seconds.items()}
    return summary
