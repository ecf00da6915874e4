"""RunEvent: the one JSON shape in which every door sees what a run is doing."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

# What happened. Stage and node events come in pairs; a scene, an artifact, a warning or a render step
# can come at any time between them; the last event of an attempt is one of TERMINAL_KINDS.
EVENT_KINDS: tuple[str, ...] = (
    "queued",
    "started",
    "stage_started",
    "node_started",
    "scene_made",
    "artifact_made",
    "progress",
    "warning",
    "node_finished",
    "stage_finished",
    "waiting",
    "done",
    "failed",
    "stopped",
    "rejected",
)
# An attempt ends with one of these; "waiting" and "stopped" runs can go on later.
TERMINAL_KINDS: frozenset[str] = frozenset({"waiting", "done", "failed", "stopped", "rejected"})

# The orchestrator's stages, in order; plan_request is the "planning" stage.
STAGES: tuple[str, ...] = (
    "planning",
    "data_acquisition",
    "content_generation",
    "video_production",
    "publishing",
    "monitoring",
)
# The stages that are sub-agents (subgraphs), in the order the orchestrator runs them.
SUB_AGENTS: tuple[str, ...] = STAGES[1:]


class EventDraft(TypedDict):
    """An event before the run's event log numbers and stamps it."""

    kind: str
    stage: str | None
    node: str | None
    scene: int | None
    # One line a person can read, the same in every door.
    message: str
    data: dict[str, Any]


class RunEvent(EventDraft):
    """An event as stored and served: numbered from 1 per run (across attempts) and stamped in UTC."""

    seq: int
    run_id: str
    ts: str


def draft(
    kind: str,
    message: str,
    *,
    stage: str | None = None,
    node: str | None = None,
    scene: int | None = None,
    **data: Any,
) -> EventDraft:
    """An EventDraft; `data` holds the kind's own fields (a path, a tier, a percentage, a gate)."""
    return {"kind": kind, "stage": stage, "node": node, "scene": scene, "message": message, "data": data}
