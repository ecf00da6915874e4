"""How the CLI shows runs: the result of an attempt, `runs`, `show`, `history` and `follow` lines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from state.events import RunEvent
from tools.storage.run_records import RunRecord

if TYPE_CHECKING:
    from rich.console import RenderableType

_STATUS_STYLE = {
    "done": "green",
    "waiting": "yellow",
    "running": "cyan",
    "queued": "cyan",
    "failed": "red",
    "stopped": "magenta",
    "rejected": "red",
}


def run_row(record: RunRecord) -> dict[str, Any]:
    """One run as `runs --json` lists it."""
    return {
        "run_id": record.run_id,
        "status": record.status,
        "topic": record.topic,
        "created": record.created_at,
        "video": record.video,
    }


def done_summary(run_id: str, values: dict[str, Any], home: Path) -> dict[str, Any]:
    """What `make --json` prints for a finished run."""
    from tools.report import collapse_tiers

    video = values.get("video") or {}
    job = values.get("job") or {}
    return {
        "run_id": run_id,
        "status": "done",
        "video": (video.get("video") or {}).get("path"),
        "gallery": str(home / "gallery" / run_id / "video.mp4"),
        "duration_s": video.get("duration_s"),
        "aspect": job.get("aspect"),
        "width": video.get("width"),
        "height": video.get("height"),
        "loudness_lufs": video.get("loudness_lufs"),
        "tiers": collapse_tiers(values.get("tiers", {})),
        "degraded": bool(values.get("degraded")),
        "degraded_reasons": list(dict.fromkeys(item["reason"] for item in values.get("degraded", []))),
        "warnings": values.get("warnings", []),
        "publications": [
            {**publication, "status": publication.get("status", "published")}
            for publication in values.get("publications", [])
        ],
        "report": (values.get("report") or {}).get("path"),
    }


def waiting_lines(run_id: str, waiting: dict[str, Any]) -> list[str]:
    """What a person needs to answer a gate, in a few short lines."""
    gate = waiting["gate"]
    lines = [f"run {run_id} waits at the {gate} gate."]
    if gate == "script":
        script = waiting["script"]
        lines.append(f"  {script['title']} ({len(script['scenes'])} scenes)")
        lines += [f"  {scene['index']}. {scene['narration']}" for scene in script["scenes"]]
        lines += [f"  ! {problem}" for problem in waiting.get("problems") or []]
    else:
        lines.append(f"  {waiting.get('title')}: {waiting.get('video', {}).get('path')}")
        lines.append(f"  to: {', '.join(waiting.get('targets') or [])}")
    lines.append(f"approve: reelforge approve {run_id}")
    if gate == "script":
        lines.append(f"edit:    reelforge show {run_id} --json > script.json")
        lines.append(f"         (change waiting.script), reelforge approve {run_id} --script script.json")
    lines.append(f"reject:  reelforge reject {run_id} --reason TEXT")
    return lines


def event_line(event: RunEvent) -> str:
    """One event as `follow` prints it: the time, where, and the message."""
    try:
        clock = datetime.fromisoformat(event["ts"]).strftime("%H:%M:%S")
    except ValueError:
        clock = "--:--:--"
    where = event["stage"] or ""
    return f"{clock} {where:<18} {event['message']}"


def render_runs(records: list[RunRecord]) -> RenderableType:
    """The `runs` table, laid out for the terminal's width: run ids are never cut or wrapped.

    As the width shrinks, the update time shortens, then goes; then the topic moves under the run id,
    where it wraps; below that each run is a few plain lines, the run id on a line of its own.
    """
    from rich.text import Text

    from graph.table_fit import FitColumn, FittedTable, Variant

    ids = [record.run_id for record in records]
    statuses = [
        Text(
            record.status + (f" ({record.gate})" if record.status == "waiting" and record.gate else ""),
            _STATUS_STYLE.get(record.status, ""),
        )
        for record in records
    ]
    topics = [record.topic for record in records]
    updated = [record.updated_at[:16].replace("T", " ") for record in records]
    longest = max((len(run_id) for run_id in ids), default=6)
    under = [Text(run_id) + Text("\n" + topic, "dim") for run_id, topic in zip(ids, topics, strict=True)]
    columns = [
        FitColumn(
            "id",
            (Variant("run id", ids), Variant("run id / topic", under, wrap_min=longest)),
            required=True,
        ),
        FitColumn("status", (Variant("status", statuses),), required=True),
        FitColumn("topic", (Variant("topic", topics, wrap_min=20),)),
        FitColumn(
            "updated",
            (Variant("updated", updated), Variant("updated", [when[5:] for when in updated])),
        ),
    ]
    steps = [("updated",), ("updated",), ("id", "topic")]
    return FittedTable(columns, steps)


def _scenes_table(scenes: list[dict[str, Any]]) -> RenderableType:
    """The scenes of `show`: the take and the narration file give way before the picture's."""
    from graph.table_fit import FitColumn, FittedTable, Variant

    columns = [
        FitColumn("scene", (Variant("scene", [str(s["index"]) for s in scenes]),), required=True),
        FitColumn("take", (Variant("take", [str(s["variant"]) for s in scenes]),)),
        FitColumn("image", (Variant("image", [Path(s["image"]["path"]).name for s in scenes]),)),
        FitColumn("narration", (Variant("narration", [Path(s["audio"]["path"]).name for s in scenes]),)),
    ]
    return FittedTable(columns, [("take",), ("narration",), ("image",)], title="Scenes")


def render_run(details: dict[str, Any]) -> RenderableType:
    """A rich renderable for `reelforge show`; paths and the run id fold rather than lose their ends."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Table.grid(padding=(0, 2))
    head.add_column(no_wrap=True)
    head.add_column(overflow="fold")
    for key in ("run_id", "status", "topic", "created_at", "updated_at", "place", "run_dir", "error"):
        if details.get(key):
            head.add_row(key.replace("_", " "), str(details[key]))
    if details.get("video"):
        head.add_row("video", details["video"]["path"])
    if len(details.get("videos") or []) > 1:
        head.add_row("versions", str(len(details["videos"])))
    if details["next"] and details["status"] != "done":
        head.add_row("resumes at", ", ".join(details["next"]))
    parts: list[Any] = [head]
    if details.get("waiting"):
        parts.append(Text("\n".join(waiting_lines(details["run_id"], details["waiting"]))))
    if details.get("scenes"):
        parts.append(_scenes_table(details["scenes"]))
    nodes = Table("node", "runs", "seconds", title="Node executions")
    for node, count in details["node_executions"].items():
        nodes.add_row(node, str(count), f"{details['node_seconds'].get(node, 0.0):.2f}")
    parts.append(nodes)
    return Group(*parts)


def render_history(rows: list[dict[str, Any]]) -> RenderableType:
    """The `history` table: each checkpoint, newest first, with the video it held."""
    from rich.table import Table

    table = Table("checkpoint", "step", "source", "next", "video")
    for row in rows:
        table.add_row(
            str(row["checkpoint_id"])[-12:],
            str(row["step"]),
            str(row["source"]),
            ", ".join(row["next"]),
            Path(row["video"]).name if row["video"] else "",
        )
    return table
