"""VideoProduction: lay out the timeline, time the subtitles, mix, render, and verify the video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.tracking import tracked
from agents.video_files import (
    DURATION_TOLERANCE,
    VideoInputs,
    script_scenes,
    timeline_length,
    timeline_update,
)
from state import Context, Script, VideoIn, VideoOut, VideoResult, VideoState
from state.model_calls import Degradation
from tools.errors import VerificationFailed, is_transient
from tools.files import artifact_problem, make_artifact
from tools.images.fonts import missing_glyphs
from tools.images.thumbnail import design_thumbnail, thumbnail_size
from tools.media.verify import verify_video
from tools.memory import release_free_memory


def undrawable(topic: str, script: Script) -> list[Degradation]:
    """A degradation naming the characters of the topic and script no shipped font draws (emoji, rare
    scripts): the topic too, since the title is made from it."""
    texts = [topic, script["title"]]
    for scene in script["scenes"]:
        texts += [scene["on_screen_text"], scene["narration"]]
    missing = "".join(dict.fromkeys("".join(missing_glyphs(text) for text in texts)))
    if not missing:
        return []
    reason = f"the fonts cannot draw {' '.join(missing)}; they are left out of the pictures and captions"
    return [
        {
            "capability": "text",
            "artifact": "captions",
            "tier": "offline",
            "provider": "fonts",
            "reason": reason,
        }
    ]


@tracked("video_production")
def plan_timeline(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Time every scene from its real narration length and write the subtitles from the voice's timings.

    Text the fonts cannot draw is named here, once per version of the video, and marks the run degraded.
    """
    update = timeline_update(script_scenes(state), state["job"], runtime.context.run_dir)
    if degraded := undrawable(state["job"]["topic"], state["script"]):
        update = {**update, "degraded": degraded, "warnings": update["warnings"] + [degraded[0]["reason"]]}
    return {**update, "damaged": []}


@tracked("video_production")
def mix_soundtrack(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Place each narration clip on the timeline, duck the music under it, and normalise to -14 LUFS."""
    inputs = VideoInputs(state, runtime, "mix_soundtrack")
    soundtrack = inputs.soundtrack()
    return {**inputs.update, "soundtrack": soundtrack}


@tracked("video_production")
def render_scenes(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render motion, transitions and burned-in subtitles, and encode H.264/AAC in one pass."""
    inputs = VideoInputs(state, runtime, "render_scenes")
    rendered = inputs.video()
    return {**inputs.update, "rendered": rendered}


def make_thumbnail(state: dict[str, Any], out_path: Path) -> Path:
    """Design the thumbnail from the script's title and the scenes' backgrounds (text-free), in the job's
    style and at its aspect's thumbnail size; a picture no longer as it was made is left out."""
    job = state["job"]
    width, height = thumbnail_size(job["aspect"])
    pictures = [scene["image"] for scene in script_scenes(state) if artifact_problem(scene["image"]) is None]
    return design_thumbnail(
        title=state["script"]["title"],
        pictures=pictures,
        style=job["style"],
        width=width,
        height=height,
        out_path=out_path,
    )


@tracked("video_production")
def verify_output(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check streams, size, duration, loudness and frames; design the thumbnail: the title over the
    strongest scene picture, at the aspect's thumbnail size (preview runs too)."""
    job = state["job"]
    width, height = job["width"], job["height"]
    inputs = VideoInputs(state, runtime, "verify_output")
    rendered = inputs.video()
    video_path = Path(rendered["path"])
    timeline = inputs.state["timeline"]
    total = timeline_length(timeline)
    release_free_memory()
    probe, lufs, problems = verify_video(
        video_path, runtime.context.ffmpeg, width, height, total, DURATION_TOLERANCE
    )
    if problems:
        raise VerificationFailed(f"the rendered video failed verification: {'; '.join(problems)}")
    # One thumbnail per video version, named after it, so an earlier version keeps its own.
    thumb_path = video_path.with_name(video_path.stem.replace("video-", "thumbnail-", 1) + ".jpg")
    thumbnail = make_thumbnail(inputs.state, thumb_path)
    result: VideoResult = {
        "video": rendered,
        "thumbnail": make_artifact(thumbnail, "offline", "pillow"),
        "subtitles": inputs.state["subtitles"],
        "duration_s": round(probe.duration_s, 3),
        "width": probe.width,
        "height": probe.height,
        "fps": probe.fps,
        "mean_volume_db": round(probe.mean_volume_db, 2),
        "loudness_lufs": round(lufs, 2),
    }
    return {
        **inputs.update,
        "rendered": rendered,
        "video": result,
        "videos": [rendered],
        "tiers": {**inputs.update.get("tiers", {}), "video": "offline:pyav-libx264"},
        "damaged": [],
    }


def build_video_production_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled VideoProduction subgraph."""
    retry = RetryPolicy(max_attempts=2, retry_on=is_transient)
    graph = StateGraph(VideoState, context_schema=Context, input_schema=VideoIn, output_schema=VideoOut)
    graph.add_node("plan_timeline", plan_timeline)
    graph.add_node("mix_soundtrack", mix_soundtrack, retry_policy=retry)
    graph.add_node("render_scenes", render_scenes, retry_policy=retry)
    graph.add_node("verify_output", verify_output)
    graph.add_edge(START, "plan_timeline")
    graph.add_edge("plan_timeline", "mix_soundtrack")
    graph.add_edge("mix_soundtrack", "render_scenes")
    graph.add_edge("render_scenes", "verify_output")
    graph.add_edge("verify_output", END)
    return graph
