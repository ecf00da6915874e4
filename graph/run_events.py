"""Turn the orchestrator's stream parts into RunEvents: stages, nodes, scenes, artifacts, warnings."""

from __future__ import annotations

from typing import Any

from state.events import SUB_AGENTS, EventDraft, draft

# Top-level nodes that are not sub-agents, and the stage each belongs to.
_TOP_NODES = {"plan_request": "planning"}
# Keys of a node's update that hold one artifact, and what to call it.
_ARTIFACT_KEYS = {
    "subtitles": "subtitles",
    "soundtrack": "soundtrack",
    "rendered": "video",
    "report": "report",
}
# Render progress is reported in steps of this many percent, so every run of a job sends the same events.
PROGRESS_STEP = 5


def _stage_of(namespace: tuple[str, ...], name: str) -> str:
    if namespace:
        return namespace[0].split(":", 1)[0]
    return _TOP_NODES.get(name, name)


def _tier(artifact: dict[str, Any]) -> str:
    return f"{artifact.get('tier', '?')}:{artifact.get('provider', '?')}"


def _artifact(name: str, artifact: dict[str, Any], stage: str, node: str, scene: int | None) -> EventDraft:
    label = f"{name} {scene:02d}" if scene is not None else name
    return draft(
        "artifact_made",
        f"{label} made by {_tier(artifact)}",
        stage=stage,
        node=node,
        scene=scene,
        artifact=name,
        path=artifact.get("path"),
        sha256=artifact.get("sha256"),
        tier=_tier(artifact),
    )


def _publication_line(publication: dict[str, Any]) -> str | None:
    """How a publication record reads in the progress; None for a failure (its warning says it)."""
    target, status = publication["target"], publication.get("status", "published")
    if status == "pending":
        return f"posting to {target}"
    if status == "failed":
        return None
    if status == "dry-run":
        would = publication.get("would_post") or {}
        refused = f"; {target} would refuse it: {publication['error']}" if publication.get("error") else ""
        return f"dry run: would post '{would.get('title', '')}' to {target}{refused}"
    shown = "" if status == "published" else f" ({status})"
    return f"published to {target}{shown}: {publication['url']}"


def _results(stage: str, node: str, result: dict[str, Any]) -> list[EventDraft]:
    """Artifacts, publications and warnings in one node's update."""
    events = []
    if script := result.get("script"):
        tier = (result.get("tiers") or {}).get("script", script.get("writer", "?"))
        events.append(
            draft(
                "artifact_made",
                f"script '{script['title']}' ({len(script['scenes'])} scenes) by {tier}",
                stage=stage,
                node=node,
                artifact="script",
                title=script["title"],
                scenes=len(script["scenes"]),
                tier=tier,
            )
        )
    for scene in result.get("scenes") or []:
        index = int(scene["index"])
        events.append(_artifact("image", scene["image"], stage, node, index))
        events.append(_artifact("narration", scene["audio"], stage, node, index))
    for key, name in _ARTIFACT_KEYS.items():
        if isinstance(result.get(key), dict) and "path" in result[key]:
            events.append(_artifact(name, result[key], stage, node, None))
    video = result.get("video")
    if isinstance(video, dict) and isinstance(video.get("thumbnail"), dict):
        events.append(_artifact("thumbnail", video["thumbnail"], stage, node, None))
    for publication in result.get("publications") or []:
        if (said := _publication_line(publication)) is None:
            continue
        events.append(
            draft(
                "artifact_made",
                said,
                stage=stage,
                node=node,
                artifact="publication",
                target=publication["target"],
                url=publication["url"],
                status=publication.get("status", "published"),
            )
        )
    for warning in result.get("warnings") or []:
        events.append(draft("warning", warning, stage=stage, node=node))
    for item in result.get("degraded") or []:
        events.append(
            draft("warning", f"degraded: {item['reason']}", stage=stage, node=node, degraded=True, **item)
        )
    return events


def _task_started(namespace: tuple[str, ...], data: dict[str, Any]) -> list[EventDraft]:
    name = data["name"]
    stage = _stage_of(namespace, name)
    if not namespace and name in SUB_AGENTS:
        return [draft("stage_started", f"{stage} started", stage=stage)]
    scene = _scene_of(data.get("input"))
    label = f"{name} (scene {scene})" if scene is not None else name
    events = [draft("node_started", f"{label} started", stage=stage, node=name, scene=scene)]
    if not namespace:
        events.insert(0, draft("stage_started", f"{stage} started", stage=stage))
    return events


def _task_finished(namespace: tuple[str, ...], data: dict[str, Any]) -> list[EventDraft]:
    # A task that raised or stopped at a gate has not finished: the attempt's last event says what happened.
    if data.get("error") is not None or data.get("interrupts"):
        return []
    name = data["name"]
    stage = _stage_of(namespace, name)
    if not namespace and name in SUB_AGENTS:
        # The sub-agent's own nodes already reported what it made.
        return [draft("stage_finished", f"{stage} finished", stage=stage)]
    result = data.get("result") or {}
    result = result if isinstance(result, dict) else {}
    scene = _scene_of(result)
    label = f"{name} (scene {scene})" if scene is not None else name
    events = [
        *_results(stage, name, result),
        draft("node_finished", f"{label} finished", stage=stage, node=name, scene=scene),
    ]
    if not namespace:
        events.append(draft("stage_finished", f"{stage} finished", stage=stage))
    return events


def _scene_of(value: Any) -> int | None:
    """The scene a make_scene task works on, from its input (a SceneTask) or its result."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("scene"), dict):
        return int(value["scene"]["index"])
    scenes = value.get("scenes")
    if isinstance(scenes, list) and len(scenes) == 1 and isinstance(scenes[0], dict):
        return int(scenes[0]["index"])
    return None


class EventTranslator:
    """Stateful, per attempt: keeps render progress to whole steps so every run sends the same events."""

    def __init__(self) -> None:
        """Start with no progress reported."""
        self._progress: dict[tuple[str | None, str | None], int] = {}

    def __call__(self, part: dict[str, Any]) -> list[EventDraft]:
        """The events in one stream part (`tasks` or `custom`, v2 format)."""
        kind, namespace, data = part.get("type"), tuple(part.get("ns") or ()), part.get("data")
        if not isinstance(data, dict):
            return []
        if kind == "tasks":
            return _task_started(namespace, data) if "input" in data else _task_finished(namespace, data)
        if kind == "custom":
            return self._custom(namespace, data)
        return []

    def _custom(self, namespace: tuple[str, ...], data: dict[str, Any]) -> list[EventDraft]:
        stage = _stage_of(namespace, "")
        if data.get("stage") == "scene" and data.get("status") == "done":
            made_by = f"{data.get('image')} + {data.get('voice')}"
            again = f" (take {data['take']})" if data.get("take") else ""
            return [
                draft(
                    "scene_made",
                    f"scene {data['scene']}/{data['of']} made{again} by {made_by}",
                    stage=stage,
                    node="make_scene",
                    scene=int(data["scene"]),
                    of=int(data["of"]),
                    image=data.get("image"),
                    voice=data.get("voice"),
                    take=int(data.get("take", 0)),
                )
            ]
        if data.get("stage") == "render":
            step = int(float(data.get("pct", 0)) // PROGRESS_STEP) * PROGRESS_STEP
            key = (stage, "render_scenes")
            if step <= self._progress.get(key, -1):
                return []
            self._progress[key] = step
            return [
                draft("progress", f"rendering {step}%", stage=stage, node="render_scenes", pct=float(step))
            ]
        return []
