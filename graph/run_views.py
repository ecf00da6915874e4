"""What the run service shows of a run: its JSON view, the gate it waits at, and a follower's last event."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from langgraph.types import StateSnapshot

from state.events import TERMINAL_KINDS, RunEvent
from tools.journal import summarize_journal
from tools.storage.run_records import RunRecord

_CLOSING_MESSAGES = {
    "stopped": "stopped: the process running it is gone; continue it with 'reelforge resume {run_id}'",
    "done": "done: {video}",
    "failed": "failed: {error}",
    "rejected": "{error}",
    "waiting": "waiting at the {gate} gate: approve or reject it",
}


def waiting_of(snapshot: StateSnapshot | None) -> dict[str, Any] | None:
    """The gate a run waits at: {"gate", "interrupt", and what the gate shows}; None if not waiting."""
    if snapshot is None or not snapshot.interrupts:
        return None
    pending = snapshot.interrupts[0]
    value = pending.value if isinstance(pending.value, dict) else {"gate": "unknown", "value": pending.value}
    return {**value, "interrupt": pending.id}


def _file(artifact: dict[str, Any] | None) -> dict[str, Any] | None:
    if not artifact:
        return None
    return {"path": artifact["path"], "sha256": artifact["sha256"], "tier": artifact.get("tier")}


def _resumes_at(snapshot: StateSnapshot) -> list[str]:
    """Where the run continues: `agent.node` inside a paused sub-agent, else the orchestrator's node."""
    next_nodes = list(snapshot.next)
    for task in snapshot.tasks:
        state = task.state
        if isinstance(state, StateSnapshot) and state.next:
            next_nodes = [f"{task.name}.{name}" for name in state.next]
    return next_nodes


def describe(record: RunRecord, snapshot: StateSnapshot | None, run_dir: Path) -> dict[str, Any]:
    """A run as `show --json` prints it (JSON-native)."""
    values: dict[str, Any] = dict(snapshot.values) if snapshot is not None else {}
    video = values.get("video") or {}
    journal = summarize_journal(run_dir)
    report_path = run_dir / "report.json"
    current = None
    if video:
        current = {
            **(_file(video["video"]) or {}),
            "duration_s": video["duration_s"],
            "width": video["width"],
            "height": video["height"],
            "loudness_lufs": video["loudness_lufs"],
            "thumbnail": _file(video["thumbnail"]),
            "subtitles": _file(video["subtitles"]),
        }
    row = asdict(record)
    row.pop("video")
    return {
        **row,
        "waiting": waiting_of(snapshot) if record.status == "waiting" else None,
        "next": _resumes_at(snapshot) if snapshot is not None else [],
        "scenes": [
            {
                "index": scene["index"],
                "variant": scene.get("variant", 0),
                "image": _file(scene["image"]),
                "audio": _file(scene["audio"]),
            }
            for scene in sorted(values.get("scenes") or [], key=lambda s: s["index"])
        ],
        "video": current,
        "videos": [_file(artifact) for artifact in values.get("videos") or []],
        "publications": [
            {**publication, "status": publication.get("status", "published")}
            for publication in values.get("publications") or []
        ],
        "approvals": list(values.get("approvals") or []),
        # Artifacts a lower tier made than the job asked for: {"artifact", "tier", "provider", "reason"}.
        "degraded": list(values.get("degraded") or []),
        "node_executions": journal.starts,
        "node_seconds": journal.node_seconds,
        "run_dir": str(run_dir),
        "report": json.loads(report_path.read_text()) if report_path.exists() else None,
    }


def checkpoint_row(snapshot: StateSnapshot) -> dict[str, Any]:
    """One checkpoint as `history --json` prints it."""
    configurable = snapshot.config.get("configurable", {})
    parent = (snapshot.parent_config or {}).get("configurable", {})
    video = ((snapshot.values.get("video") or {}).get("video") or {}).get("path")
    metadata = snapshot.metadata or {}
    return {
        "checkpoint_id": configurable.get("checkpoint_id"),
        "parent_id": parent.get("checkpoint_id"),
        "created_at": snapshot.created_at,
        "step": metadata.get("step"),
        "source": metadata.get("source"),
        "next": list(snapshot.next),
        "video": video,
    }


def closing_event(record: RunRecord, last_kind: str | None, last_seq: int) -> RunEvent | None:
    """The event a follower ends with when the log does not say how the run ended; None when it does."""
    kind = record.status if record.status in TERMINAL_KINDS else "stopped"
    if last_kind == kind:
        return None
    message = _CLOSING_MESSAGES[kind].format(
        run_id=record.run_id, video=record.video, error=record.error, gate=record.gate
    )
    return cast(
        RunEvent,
        {
            "seq": last_seq + 1,
            "run_id": record.run_id,
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "kind": kind,
            "stage": None,
            "node": None,
            "scene": None,
            "message": message,
            "data": {"from_record": True},
        },
    )
