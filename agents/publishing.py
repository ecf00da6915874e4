"""Publishing: send the verified video to each target, recording each publication before moving on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, interrupt

from agents.scene_files import repair_note
from agents.tracking import tracked
from state import (
    Artifact,
    Context,
    PublishIn,
    PublishOut,
    PublishState,
    Repair,
    SceneAssets,
    Script,
    VideoResult,
)
from state.gates import GateAnswer
from tools.errors import is_transient
from tools.faults import failpoint
from tools.files import artifact_problem
from tools.publish import GalleryPublisher, PublicationIntents, PublishItem, idempotency_key, publish_once


def picture_credits(scenes: list[SceneAssets]) -> list[dict[str, str]]:
    """The credit of every picture from open media, once each, in scene order."""
    credits: list[dict[str, str]] = []
    for scene in scenes:
        credit = scene["image"].get("credit")
        if credit and credit not in credits:
            credits.append(credit)
    return credits


def credit_line(credit: dict[str, str]) -> str:
    """One picture's attribution: title, author, licence and where it is from."""
    return f'"{credit["title"]}" by {credit["author"]}, {credit["license"]} ({credit["source"]})'


def script_markdown(script: Script, credits: list[dict[str, str]] | None = None) -> str:
    """Render the script as Markdown for readers of the gallery, with the pictures' credits."""
    lines = [f"# {script['title']}", "", f"> {script['hook']}", ""]
    for scene in script["scenes"]:
        lines += [f"## Scene {scene['index']}: {scene['on_screen_text']}", "", scene["narration"], ""]
        lines += [f"*Visual:* {scene['visual']}", ""]
        if scene["sources"]:
            lines += [f"*Sources:* {', '.join(scene['sources'])}", ""]
    lines += ["## Call to action", "", script["call_to_action"], ""]
    if script["citations"]:
        lines += ["## Sources", ""] + [f"- {c['title']} ({c['source']})" for c in script["citations"]] + [""]
    if credits:
        lines += ["## Pictures", ""] + [f"- {credit_line(credit)}" for credit in credits] + [""]
    lines += [f"*Written by:* {script['writer']}", ""]
    return "\n".join(lines)


def targets_to_publish(state: PublishState) -> list[str]:
    """The job's targets that do not have this video yet.

    A target that has an older version of it gets the new one only when the run asks to republish, so a
    regenerated scene never posts again by itself; a target that has this very video is never posted twice.
    """
    sha = state["video"]["video"]["sha256"]
    published = state.get("publications", [])
    wanted = []
    for target in state["job"]["targets"]:
        here = [p for p in published if p["target"] == target]
        if any(p.get("video_sha256", sha) == sha for p in here):
            continue
        if here and not state.get("republish", False):
            continue
        wanted.append(target)
    return wanted


@tracked("publishing")
def approve_publish(state: PublishState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Wait at the publish gate for a person to approve or reject publishing this video.

    Nothing before the interrupt has an effect; the posts are made after it, in the targets' own nodes.
    """
    script, video = state["script"], state["video"]
    answer: GateAnswer = interrupt(
        {
            "gate": "publish",
            "title": script["title"],
            "description": script["description"],
            "targets": targets_to_publish(state),
            "video": {
                "path": video["video"]["path"],
                "sha256": video["video"]["sha256"],
                "duration_s": video["duration_s"],
            },
            "thumbnail": video["thumbnail"]["path"],
        },
        response_schema=GateAnswer,
    )
    approval = answer.to_approval("publish")
    update: dict[str, Any] = {"review": approval, "approvals": [approval]}
    return {**update, "rejected": approval} if answer.decision == "reject" else update


def damaged_files(video: VideoResult) -> list[Repair]:
    """The video's files that are not what VideoProduction made; it makes them again before publishing."""
    repairs = []
    for name in ("video", "thumbnail", "subtitles"):
        artifact: Artifact = video[name]
        if (problem := artifact_problem(artifact)) is not None:
            repairs.append(
                Repair(artifact=f"the {name}", path=artifact["path"], problem=problem, by="video_production")
            )
    return repairs


@tracked("publishing")
def publish_gallery(state: PublishState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Publish to the local gallery exactly once; a resumed run that already published it skips straight on.

    A damaged video is never published: the run goes back to VideoProduction, which makes it again.
    """
    if "gallery" not in targets_to_publish(state):
        return {}
    job, script, video = state["job"], state["script"], state["video"]
    if repairs := damaged_files(video):
        return {
            "damaged": [repair["artifact"] for repair in repairs],
            "repairs": repairs,
            "warnings": [repair_note(repair) for repair in repairs],
        }
    context = runtime.context
    credits = picture_credits(state.get("scenes", []))
    description = script["description"]
    if credits:
        description += " Pictures: " + "; ".join(credit_line(credit) for credit in credits) + "."
    metadata = {
        "title": script["title"],
        "description": description,
        "tags": script["tags"],
        "topic": job["topic"],
        "aspect": job["aspect"],
        "duration_s": video["duration_s"],
        "width": video["width"],
        "height": video["height"],
        "writer": script["writer"],
        "citations": script["citations"],
        "credits": credits,
    }
    item = PublishItem(
        run_id=context.run_id,
        video=Path(video["video"]["path"]),
        thumbnail=Path(video["thumbnail"]["path"]),
        subtitles=Path(video["subtitles"]["path"]),
        script_markdown=script_markdown(script, credits),
    )
    sha = video["video"]["sha256"]
    publication, how = publish_once(
        GalleryPublisher(context.home / "gallery", context.gallery_url),
        PublicationIntents(context.run_dir / "publications"),
        idempotency_key(context.run_id, "gallery", sha),
        item,
        metadata,
        after_post=lambda: failpoint(context.failpoint, "posted:gallery"),
    )
    update: dict[str, Any] = {"publications": [{**publication, "video_sha256": sha}]}
    if how == "found":
        update["warnings"] = [
            "the gallery already had this video from before the run stopped; not posted again"
        ]
    return update


def _target_nodes(state: PublishState) -> list[str]:
    return [f"publish_{target}" for target in targets_to_publish(state)] or [END]


def route_to_targets(state: PublishState) -> list[str]:
    """Stop at the publish gate first when the job asks for it and there is something to publish."""
    if "publish" in state["job"]["gates"] and targets_to_publish(state) and "review" not in state:
        return ["approve_publish"]
    return _target_nodes(state)


def route_after_approve_publish(state: PublishState) -> list[str]:
    """Publish to every target once approved; a rejection ends the run here."""
    return [END] if state["review"]["decision"] == "reject" else _target_nodes(state)


def build_publishing_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled Publishing subgraph."""
    graph = StateGraph(PublishState, context_schema=Context, input_schema=PublishIn, output_schema=PublishOut)
    graph.add_node("approve_publish", approve_publish)
    graph.add_node(
        "publish_gallery", publish_gallery, retry_policy=RetryPolicy(max_attempts=3, retry_on=is_transient)
    )
    graph.add_conditional_edges(START, route_to_targets, ["approve_publish", "publish_gallery", END])
    graph.add_conditional_edges("approve_publish", route_after_approve_publish, ["publish_gallery", END])
    graph.add_edge("publish_gallery", END)
    return graph
