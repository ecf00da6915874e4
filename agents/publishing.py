"""Publishing: send the verified video to each target, recording each publication before moving on."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, Send, interrupt

from agents.publish_targets import intents_folder, platform_publisher
from agents.scene_files import repair_note
from agents.tracking import tracked
from state import (
    Artifact,
    Context,
    Publication,
    PublishIn,
    PublishOut,
    PublishState,
    Repair,
    SceneAssets,
    Script,
    TargetTask,
    VideoResult,
)
from state.gates import GateAnswer
from tools.errors import BadInput, RunStopped, first_line, is_transient
from tools.faults import failpoint
from tools.files import artifact_problem
from tools.publish import GalleryPublisher, PublishItem, idempotency_key, publish_once
from tools.secrets import redact
from tools.text.top_list import product_links

# Tries of one platform post through passing faults (timeouts, 5xx, 429) before it is recorded as failed.
TRANSIENT_ATTEMPTS = 3
# Publication records that do not mean the target has the video.
NOT_POSTED = frozenset({"pending", "failed", "dry-run"})


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
    An intent with no outcome yet, a failure and a dry run's record are not posts.
    """
    sha = state["video"]["video"]["sha256"]
    published = [p for p in state.get("publications", []) if p.get("status") not in NOT_POSTED]
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


def publish_metadata(state: PublishState | TargetTask) -> dict[str, Any]:
    """What every target is told about the video: title, description (with picture credits and product
    links), tags, and where it came from."""
    job, script, video = state["job"], state["script"], state["video"]
    credits = picture_credits(state.get("scenes", []))
    description = script["description"]
    links = product_links(state.get("products", []))
    missing = [link for link in links if link["url"] not in description]
    if missing:
        description += "\n\n" + "\n".join(f"{link['name']}: {link['url']}" for link in missing)
    if credits:
        description += " Pictures: " + "; ".join(credit_line(credit) for credit in credits) + "."
    return {
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
        "links": links,
    }


def publish_item(state: PublishState | TargetTask, context: Context) -> PublishItem:
    """The verified video and its files, with the gallery's public addresses when it is served."""
    script, video = state["script"], state["video"]
    gallery = next((p for p in state.get("publications", []) if p["target"] == "gallery"), None)
    public = (
        f"{context.gallery_url}/{quote(context.run_id, safe='')}/video.mp4" if context.gallery_url else None
    )
    page = gallery["url"] if gallery and gallery["url"].startswith(("http://", "https://")) else None
    return PublishItem(
        run_id=context.run_id,
        video=Path(video["video"]["path"]),
        thumbnail=Path(video["thumbnail"]["path"]),
        subtitles=Path(video["subtitles"]["path"]),
        script_markdown=script_markdown(script, picture_credits(state.get("scenes", []))),
        video_sha256=video["video"]["sha256"],
        duration_s=video["duration_s"],
        width=video["width"],
        height=video["height"],
        public_url=public,
        page_url=page,
    )


@tracked("publishing")
def publish_gallery(state: PublishState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Publish to the local gallery exactly once; a resumed run that already published it skips straight on.

    A damaged video is never published: the run goes back to VideoProduction, which makes it again.
    """
    if "gallery" not in targets_to_publish(state):
        return {}
    video = state["video"]
    if repairs := damaged_files(video):
        return {
            "damaged": [repair["artifact"] for repair in repairs],
            "repairs": repairs,
            "warnings": [repair_note(repair) for repair in repairs],
        }
    context = runtime.context
    sha = video["video"]["sha256"]
    publication, how = publish_once(
        GalleryPublisher(context.home / "gallery", context.gallery_url),
        intents_folder(context.run_dir),
        idempotency_key(context.run_id, "gallery", sha),
        publish_item(state, context),
        publish_metadata(state),
        after_post=lambda: failpoint(context.failpoint, "posted:gallery"),
    )
    record: Publication = {**publication, "video_sha256": sha}
    if context.index is not None:
        context.index.record_publication(context.run_id, dict(record))
    update: dict[str, Any] = {"publications": [record]}
    if how == "found":
        update["warnings"] = [
            "the gallery already had this video from before the run stopped; not posted again"
        ]
    return update


def platforms_to_publish(state: PublishState) -> list[str]:
    """The platform targets (every target but the gallery) that do not have this video yet."""
    return [target for target in targets_to_publish(state) if target != "gallery"]


def _intent(context: Context, target: str, sha: str, status: str) -> Publication:
    return {
        "target": target,
        "id": "",
        "url": "",
        "published_at": "",
        "video_sha256": sha,
        "key": idempotency_key(context.run_id, target, sha),
        "status": status,
    }


def _would_post(target: str, state: PublishState, context: Context) -> Publication:
    """A dry run's record: what would be posted, and whether the target would take it."""
    sha = state["video"]["video"]["sha256"]
    metadata = publish_metadata(state)
    record = _intent(context, target, sha, "dry-run")
    record["would_post"] = {
        "title": metadata["title"],
        "description": metadata["description"],
        "tags": metadata["tags"],
        "video": state["video"]["video"]["path"],
        "thumbnail": state["video"]["thumbnail"]["path"],
        "publish_at": state["job"].get("publish_at"),
    }
    try:
        platform_publisher(target, context, state["job"]).check(publish_item(state, context), metadata)
    except BadInput as exc:
        record["error"] = first_line(exc)
    return record


@tracked("publishing")
def record_intents(state: PublishState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Record, before any platform is called, that this video is about to be posted to each platform.

    The intent (run, target, idempotency key, status "pending") lands in the checkpoint and the run index,
    so a run killed mid-post knows on resume to ask the platform before posting again. A dry run records
    what would be posted instead, and posts nothing.
    """
    context = runtime.context
    sha = state["video"]["video"]["sha256"]
    targets = platforms_to_publish(state)
    if state["job"].get("dry_run", False):
        records = [_would_post(target, state, context) for target in targets]
    else:
        records = [_intent(context, target, sha, "pending") for target in targets]
    if context.index is not None:
        for record in records:
            context.index.record_publication(context.run_id, dict(record))
    return {"publications": records} if records else {}


def fan_out_targets(state: PublishState) -> list[Send] | str:
    """Send one publish_target branch per platform with a pending intent; a dry run ends here."""
    if state["job"].get("dry_run", False):
        return END
    sends = []
    sha = state["video"]["video"]["sha256"]
    for publication in state.get("publications", []):
        if publication.get("status") == "pending" and publication.get("video_sha256") == sha:
            task: TargetTask = {
                "target": publication["target"],
                "job": state["job"],
                "script": state["script"],
                "video": state["video"],
                "scenes": state.get("scenes", []),
                "products": state.get("products", []),
                "publications": state.get("publications", []),
            }
            sends.append(Send("publish_target", task))
    return sends or END


def _post(task: TargetTask, context: Context) -> tuple[Publication, str]:
    """Post to one platform once, trying a passing fault (a timeout, a 5xx) again before giving up."""
    target = task["target"]
    publisher = platform_publisher(target, context, task["job"])
    item, metadata = publish_item(task, context), publish_metadata(task)
    publisher.check(item, metadata)
    key = idempotency_key(context.run_id, target, item.video_sha256)
    attempt = 1
    while True:
        try:
            return publish_once(
                publisher,
                intents_folder(context.run_dir),
                key,
                item,
                metadata,
                after_post=lambda: failpoint(context.failpoint, f"posted:{target}"),
            )
        except BadInput:
            raise
        except Exception as exc:
            # Retried here, not by a RetryPolicy: a target that stays down is that target's failure,
            # recorded by publish_target, and must not fail the run or the other targets.
            if not is_transient(exc) or attempt >= TRANSIENT_ATTEMPTS or context.stop.is_set():
                raise
        time.sleep(min(30.0, 2.0**attempt))
        attempt += 1


@tracked("publishing")
def publish_target(state: TargetTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Post the video to one platform exactly once and record what the platform says it is.

    One platform's failure (bad credentials, a video it refuses, a service that stays down) is recorded as
    that target's failure, named in the run's warnings; the other targets go on.
    """
    context = runtime.context
    target = state["target"]
    sha = state["video"]["video"]["sha256"]
    record: Publication
    try:
        publication, how = _post(state, context)
    except RunStopped:
        raise
    except Exception as exc:
        message = redact(first_line(exc))
        record = {**_intent(context, target, sha, "failed"), "error": message}
        update: dict[str, Any] = {"warnings": [f"publishing to {target} failed: {message}"]}
    else:
        record = {
            **publication,
            "video_sha256": sha,
            "key": idempotency_key(context.run_id, target, sha),
            "status": publication.get("status", "published"),
        }
        update = {}
        if how == "found":
            update["warnings"] = [
                f"{target} already had this video from before the run stopped; not posted again"
            ]
    if context.index is not None:
        context.index.record_publication(context.run_id, dict(record))
    return {**update, "publications": [record]}


def _first_step(state: PublishState) -> list[str]:
    return ["publish_gallery"] if targets_to_publish(state) else [END]


def route_to_targets(state: PublishState) -> list[str]:
    """Stop at the publish gate first when the job asks for it and there is something to publish."""
    if "publish" in state["job"]["gates"] and targets_to_publish(state) and "review" not in state:
        return ["approve_publish"]
    return _first_step(state)


def route_after_approve_publish(state: PublishState) -> list[str]:
    """Publish to every target once approved; a rejection ends the run here."""
    return [END] if state["review"]["decision"] == "reject" else _first_step(state)


def route_after_publish_gallery(state: PublishState) -> str:
    """A damaged video goes back to VideoProduction (the orchestrator routes it); else on to the platforms."""
    return END if state.get("damaged") else "record_intents"


def build_publishing_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled Publishing subgraph."""
    graph = StateGraph(PublishState, context_schema=Context, input_schema=PublishIn, output_schema=PublishOut)
    graph.add_node("approve_publish", approve_publish)
    graph.add_node(
        "publish_gallery", publish_gallery, retry_policy=RetryPolicy(max_attempts=3, retry_on=is_transient)
    )
    graph.add_node("record_intents", record_intents)
    graph.add_node("publish_target", publish_target)
    graph.add_conditional_edges(START, route_to_targets, ["approve_publish", "publish_gallery", END])
    graph.add_conditional_edges("approve_publish", route_after_approve_publish, ["publish_gallery", END])
    graph.add_conditional_edges("publish_gallery", route_after_publish_gallery, ["record_intents", END])
    graph.add_conditional_edges("record_intents", fan_out_targets, ["publish_target", END])
    graph.add_edge("publish_target", END)
    return graph
