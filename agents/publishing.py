"""Publishing: send the verified video to each target, recording each publication before moving on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.tracking import tracked
from state import Context, PublishIn, PublishOut, PublishState, Script
from tools.errors import is_transient
from tools.publish.gallery import publish_to_gallery


def script_markdown(script: Script) -> str:
    """Render the script as Markdown for readers of the gallery."""
    lines = [f"# {script['title']}", "", f"> {script['hook']}", ""]
    for scene in script["scenes"]:
        lines += [f"## Scene {scene['index']}: {scene['on_screen_text']}", "", scene["narration"], ""]
        lines += [f"*Visual:* {scene['visual']}", ""]
        if scene["sources"]:
            lines += [f"*Sources:* {', '.join(scene['sources'])}", ""]
    lines += ["## Call to action", "", script["call_to_action"], ""]
    if script["citations"]:
        lines += ["## Sources", ""] + [f"- {c['title']} ({c['source']})" for c in script["citations"]] + [""]
    lines += [f"*Written by:* {script['writer']}", ""]
    return "\n".join(lines)


@tracked("publishing")
def publish_gallery(state: PublishState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Publish to the local gallery; a resumed run that already published skips straight on."""
    if any(p["target"] == "gallery" for p in state.get("publications", [])):
        return {}
    job, script, video = state["job"], state["script"], state["video"]
    metadata = {
        "title": script["title"],
        "description": script["description"],
        "tags": script["tags"],
        "topic": job["topic"],
        "aspect": job["aspect"],
        "duration_s": video["duration_s"],
        "width": video["width"],
        "height": video["height"],
        "writer": script["writer"],
        "citations": script["citations"],
    }
    publication = publish_to_gallery(
        gallery_dir=runtime.context.home / "gallery",
        run_id=runtime.context.run_id,
        video=Path(video["video"]["path"]),
        thumbnail=Path(video["thumbnail"]["path"]),
        subtitles=Path(video["subtitles"]["path"]),
        metadata=metadata,
        script_markdown=script_markdown(script),
    )
    return {"publications": [publication]}


def route_to_targets(state: PublishState) -> list[str]:
    """Send the run to the node of every target it names."""
    return [f"publish_{target}" for target in state["job"]["targets"]] or [END]


def build_publishing_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled Publishing subgraph."""
    graph = StateGraph(PublishState, context_schema=Context, input_schema=PublishIn, output_schema=PublishOut)
    graph.add_node(
        "publish_gallery", publish_gallery, retry_policy=RetryPolicy(max_attempts=3, retry_on=is_transient)
    )
    graph.add_conditional_edges(START, route_to_targets, ["publish_gallery", END])
    graph.add_edge("publish_gallery", END)
    return graph
