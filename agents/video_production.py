"""VideoProduction: lay out the timeline, time the subtitles, mix, render, and verify the video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from agents.tracking import tracked
from state import Context, SceneAssets, VideoIn, VideoOut, VideoResult, VideoState
from tools.errors import RunStopped, VerificationFailed, is_transient
from tools.files import content_key, make_artifact, reusable
from tools.media.audio import build_soundtrack
from tools.media.render import Segment, render_video
from tools.media.subtitles import Cue, build_cues, write_srt
from tools.media.verify import extract_thumbnail, verify_video
from tools.memory import release_free_memory

FPS = 30
MIN_GAP_S = 0.2  # silence around each scene's narration when the words fill the whole duration
LEAD_SHARE = 0.35  # the part of a scene's silence that comes before its narration
TRANSITION_S = 0.4
MOTIONS = ("zoom_in", "pan_left", "zoom_out", "pan_right", "pan_up", "pan_down")
DURATION_TOLERANCE = 0.15
# Render progress goes out in whole steps of this many percent: the same events for every run of a job.
PROGRESS_STEP_PCT = 5


def lay_out_timeline(scenes: list[SceneAssets], target_s: float) -> list[dict[str, float]]:
    """Give each scene its narration plus an equal share of the time left, so the video lasts `target_s`."""
    speech = [scene["audio"]["duration_s"] for scene in scenes]
    gap = max(MIN_GAP_S, (target_s - sum(speech)) / max(1, len(scenes)))
    timeline, start = [], 0.0
    for scene, spoken in zip(scenes, speech, strict=True):
        duration = spoken + gap
        timeline.append(
            {
                "index": float(scene["index"]),
                "start_s": round(start, 3),
                "duration_s": round(duration, 3),
                # A little breath before the words and more after, so a transition never clips speech.
                "narration_start_s": round(start + gap * LEAD_SHARE, 3),
            }
        )
        start += duration
    return timeline


def timeline_length(timeline: list[dict[str, float]]) -> float:
    """Where the last scene ends: the video's length in seconds."""
    return timeline[-1]["start_s"] + timeline[-1]["duration_s"]


def timed_cues(scenes: list[SceneAssets], timeline: list[dict[str, float]]) -> list[Cue]:
    """Subtitle cues for every sentence, placed where its scene's narration starts on the timeline."""
    return build_cues(
        [
            (slot["narration_start_s"], scene["audio"]["sentences"])
            for slot, scene in zip(timeline, scenes, strict=True)
        ]
    )


def script_scenes(state: VideoState) -> list[SceneAssets]:
    """The scene assets of the current script, in order (a fork may leave assets of a longer script)."""
    count = len(state["script"]["scenes"])
    return sorted((s for s in state["scenes"] if s["index"] <= count), key=lambda scene: scene["index"])


@tracked("video_production")
def plan_timeline(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Time every scene from its real narration length and write the subtitles from the voice's timings."""
    scenes = script_scenes(state)
    target = float(state["job"]["duration_s"])
    timeline = lay_out_timeline(scenes, target)
    total = timeline_length(timeline)
    warnings = []
    if total > target * (1 + DURATION_TOLERANCE):
        warnings.append(f"the narration runs {total:.0f} s, longer than the {target:.0f} s asked for")
    cues = timed_cues(scenes, timeline)
    # Named by content: a later version of the video gets its own file and the earlier one stays intact.
    key = content_key("subtitles-v1", [(cue.start_s, cue.end_s, cue.lines) for cue in cues])
    srt = write_srt(cues, runtime.context.run_dir / "video" / f"subtitles-{key}.srt")
    return {
        "timeline": timeline,
        "subtitles": make_artifact(srt, "offline", "voice-timings"),
        "warnings": warnings,
    }


@tracked("video_production")
def mix_soundtrack(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Place each narration clip on the timeline, duck the music under it, and normalise to -14 LUFS."""
    scenes = script_scenes(state)
    timeline = state["timeline"]
    total = timeline_length(timeline)
    music = state["job"]["music"]
    key = content_key("mix-v1", [s["audio"]["sha256"] for s in scenes], timeline, music)
    path = runtime.context.run_dir / "video" / f"soundtrack-{key}.wav"
    if not path.exists():
        build_soundtrack(
            [
                (Path(s["audio"]["path"]), slot["narration_start_s"])
                for s, slot in zip(scenes, timeline, strict=True)
            ],
            total,
            path,
            runtime.context.ffmpeg,
            music=Path(music) if music else None,
        )
    return {"soundtrack": make_artifact(path, "offline", "ffmpeg")}


@tracked("video_production")
def render_scenes(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render motion, transitions and burned-in subtitles, and encode H.264/AAC in one pass."""
    job = state["job"]
    width, height = job["width"], job["height"]
    scenes = script_scenes(state)
    segments = [
        Segment(
            image=Path(scene["image"]["path"]),
            start_s=slot["start_s"],
            duration_s=slot["duration_s"],
            motion=MOTIONS[i % len(MOTIONS)],
        )
        for i, (scene, slot) in enumerate(zip(scenes, state["timeline"], strict=True))
    ]
    key = content_key(
        "render-v1",
        [s["image"]["sha256"] for s in scenes],
        state["timeline"],
        state["subtitles"]["sha256"],
        state["soundtrack"]["sha256"],
        width,
        height,
    )
    path = runtime.context.run_dir / "video" / f"video-{key}.mp4"
    if not path.exists():
        # Every voice has spoken by now; the render needs the memory more than the voice model does.
        runtime.context.voices.release()
        release_free_memory()
        writer = get_stream_writer()
        cues = timed_cues(scenes, state["timeline"])
        stop = runtime.context.stop
        reported = [-1]

        def progress(fraction: float) -> None:
            # Called every frame: a run being stopped gives up here, before the next frame.
            if stop.is_set():
                raise RunStopped("the render was stopped; the run resumes from it")
            step = int(fraction * 100) // PROGRESS_STEP_PCT * PROGRESS_STEP_PCT
            if step > reported[0]:
                reported[0] = step
                writer({"stage": "render", "pct": float(step)})

        render_video(
            segments,
            cues,
            Path(state["soundtrack"]["path"]),
            path,
            width,
            height,
            fps=FPS,
            transition_s=TRANSITION_S,
            progress=progress,
        )
    return {"rendered": make_artifact(path, "offline", "pyav-libx264")}


@tracked("video_production")
def verify_output(state: VideoState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check streams, size, duration, loudness and frames; make the thumbnail from the opening scene."""
    job = state["job"]
    width, height = job["width"], job["height"]
    video_path = Path(state["rendered"]["path"])
    if not reusable(state["rendered"]):
        raise VerificationFailed(
            f"{video_path} changed or vanished since it was rendered; run 'reelforge resume'"
        )
    timeline = state["timeline"]
    total = timeline_length(timeline)
    release_free_memory()
    probe, lufs, problems = verify_video(
        video_path, runtime.context.ffmpeg, width, height, total, DURATION_TOLERANCE
    )
    if problems:
        raise VerificationFailed(f"the rendered video failed verification: {'; '.join(problems)}")
    thumb_at = timeline[0]["start_s"] + timeline[0]["duration_s"] / 2
    # One thumbnail per video version, named after it, so an earlier version keeps its own.
    thumb_path = video_path.with_name(video_path.stem.replace("video-", "thumbnail-", 1) + ".jpg")
    thumbnail = extract_thumbnail(video_path, thumb_path, thumb_at)
    result: VideoResult = {
        "video": state["rendered"],
        "thumbnail": make_artifact(thumbnail, "offline", "pyav"),
        "subtitles": state["subtitles"],
        "duration_s": round(probe.duration_s, 3),
        "width": probe.width,
        "height": probe.height,
        "fps": probe.fps,
        "mean_volume_db": round(probe.mean_volume_db, 2),
        "loudness_lufs": round(lufs, 2),
    }
    return {"video": result, "videos": [state["rendered"]], "tiers": {"video": "offline:pyav-libx264"}}


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
