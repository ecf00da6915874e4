"""VideoProduction's files: the timeline and subtitles, the soundtrack and the render, each checked before
use and made again from verified inputs when it is damaged or missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from agents.scene_files import check_scene_files, repair_note
from state import Artifact, Context, JobSpec, Repair, SceneAssets, VideoState
from state.reducers import merge_scenes
from tools.errors import RunStopped
from tools.files import artifact_problem, content_key, make_artifact, write_text_atomic
from tools.images.safe_areas import safe_areas
from tools.media.audio import build_soundtrack
from tools.media.render import Segment, render_video
from tools.media.subtitles import Cue, build_cues, write_srt
from tools.memory import release_free_memory

FPS = 30
MIN_GAP_S = 0.2  # silence around each scene's narration when the words fill the whole duration
LEAD_SHARE = 0.35  # the part of a scene's silence that comes before its narration
TRANSITION_S = 0.4
MOTIONS = ("zoom_in", "pan_left", "zoom_out", "pan_right", "pan_up", "pan_down")
DURATION_TOLERANCE = 0.10
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


def timed_cues(scenes: list[SceneAssets], timeline: list[dict[str, float]], job: JobSpec) -> list[Cue]:
    """Caption cues cut on word boundaries from the voices' word timings, each starting with its first word
    where its scene's narration starts on the timeline, and sized for the job's frame (one caption size)."""
    areas = safe_areas(job["width"], job["height"])
    return build_cues(
        [
            (slot["narration_start_s"], scene["audio"]["sentences"])
            for slot, scene in zip(timeline, scenes, strict=True)
        ],
        max_chars=areas.caption_max_chars,
        fits=areas.caption_fits,
    )


def timed_segments(scenes: list[SceneAssets], timeline: list[dict[str, float]]) -> list[Segment]:
    """Each scene's picture on the timeline, with its camera motion and its still text layer."""
    return [
        Segment(
            image=Path(scene["image"]["path"]),
            start_s=slot["start_s"],
            duration_s=slot["duration_s"],
            motion=MOTIONS[i % len(MOTIONS)],
            overlay=Path(overlay) if (overlay := scene["image"].get("overlay")) else None,
        )
        for i, (scene, slot) in enumerate(zip(scenes, timeline, strict=True))
    ]


def script_scenes(state: VideoState | dict[str, Any]) -> list[SceneAssets]:
    """The scene assets of the current script, in order (a fork may leave assets of a longer script)."""
    count = len(state["script"]["scenes"])
    return sorted((s for s in state["scenes"] if s["index"] <= count), key=lambda scene: scene["index"])


def timeline_update(scenes: list[SceneAssets], job: JobSpec, run_dir: Path) -> dict[str, Any]:
    """Time every scene from its narration's real length and write the subtitles from the voice's timings."""
    target = float(job["duration_s"])
    timeline = lay_out_timeline(scenes, target)
    total = timeline_length(timeline)
    warnings = []
    if total > target * (1 + DURATION_TOLERANCE):
        warnings.append(f"the narration runs {total:.0f} s, longer than the {target:.0f} s asked for")
    cues = timed_cues(scenes, timeline, job)
    # Named by content: a later version of the video gets its own file and the earlier one stays intact.
    key = content_key("subtitles-v2", [(cue.start_s, cue.end_s, cue.lines) for cue in cues])
    srt = write_srt(cues, run_dir / "video" / f"subtitles-{key}.srt")
    return {
        "timeline": timeline,
        "subtitles": make_artifact(srt, "offline", "voice-timings"),
        "warnings": warnings,
    }


def _cached(path: Path) -> Artifact | None:
    """A derived file made earlier from the same inputs, if it is still the file that was made."""
    try:
        saved: Artifact = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return saved if saved.get("path") == str(path) and artifact_problem(saved) is None else None


def _keep(path: Path, tier: str, provider: str) -> Artifact:
    """Record a derived file beside itself, so a later step or a resume can trust it without remaking it."""
    artifact = make_artifact(path, tier, provider)
    write_text_atomic(path.with_suffix(".json"), json.dumps(artifact))
    return artifact


class VideoInputs:
    """What a VideoProduction node reads, each checked before use and made again when damaged or missing.

    `update` collects the state changes that follow: scene files made again, a new timeline when a remade
    narration has another length, and a Repair and a warning for each artifact that had to be remade.
    """

    def __init__(self, state: VideoState, runtime: Runtime[Context], by: str) -> None:
        self.state: dict[str, Any] = dict(state)
        self.runtime = runtime
        self.by = by
        self.update: dict[str, Any] = {}

    @property
    def _run_dir(self) -> Path:
        return self.runtime.context.run_dir

    def _add(self, update: dict[str, Any]) -> None:
        for key, value in update.items():
            if key == "scenes":
                self.state["scenes"] = merge_scenes(self.state["scenes"], value)
                self.update["scenes"] = merge_scenes(self.update.get("scenes"), value)
            elif key == "tiers":
                self.update["tiers"] = {**self.update.get("tiers", {}), **value}
            elif key in ("warnings", "repairs", "degraded"):
                self.update[key] = self.update.get(key, []) + value
            else:
                self.state[key] = value
                self.update[key] = value

    def _repaired(self, what: str, recorded: Artifact | None, path: Path) -> None:
        """Note a repair when the file recorded in state is the one being made again."""
        if recorded is None or recorded["path"] != str(path):
            return
        problem = artifact_problem(recorded) or "overwritten"
        repair = Repair(artifact=what, path=str(path), problem=problem, by=self.by)
        self._add({"repairs": [repair], "warnings": [repair_note(repair)]})

    def scenes(self, *kinds: str) -> list[SceneAssets]:
        """The current script's scenes with their `kinds` of file verified (or made again)."""
        state = self.state
        check = check_scene_files(
            state["job"],
            state["script"],
            script_scenes(state),
            kinds,
            self.by,
            self.runtime,
            state.get("products"),
        )
        self._add(check.update)
        if check.retimed:
            self._add(timeline_update(script_scenes(self.state), state["job"], self._run_dir))
        return script_scenes(self.state)

    def subtitles(self) -> Artifact:
        """The subtitles file, written again from the timeline when it is damaged."""
        recorded: Artifact = self.state["subtitles"]
        if artifact_problem(recorded) is None:
            return recorded
        update = timeline_update(script_scenes(self.state), self.state["job"], self._run_dir)
        self._repaired("the subtitles", recorded, Path(update["subtitles"]["path"]))
        self._add({"subtitles": update["subtitles"]})
        return self.state["subtitles"]  # type: ignore[no-any-return]

    def _soundtrack_path(self) -> Path:
        scenes = script_scenes(self.state)
        key = content_key(
            "mix-v2",
            [s["audio"]["sha256"] for s in scenes],
            self.state["timeline"],
            self.state["job"]["music"],
        )
        return self._run_dir / "video" / f"soundtrack-{key}.wav"

    def soundtrack(self) -> Artifact:
        """The mixed soundtrack; mixed again, from verified narration, unless an intact one exists."""
        if (cached := _cached(self._soundtrack_path())) is not None:
            return cached
        # Mixed from the narration files' real content: the key below is theirs once they are verified.
        scenes = self.scenes("audio")
        # Every voice has spoken by now (a damaged clip was just made again): the mix and the render need
        # the memory more than the voice model does.
        self.runtime.context.voices.release()
        release_free_memory()
        path = self._soundtrack_path()
        self._repaired("the soundtrack", self.state.get("soundtrack"), path)
        timeline = self.state["timeline"]
        music = self.state["job"]["music"]
        build_soundtrack(
            [
                (Path(s["audio"]["path"]), slot["narration_start_s"])
                for s, slot in zip(scenes, timeline, strict=True)
            ],
            timeline_length(timeline),
            path,
            self.runtime.context.ffmpeg,
            music=Path(music) if music else None,
        )
        return _keep(path, "offline", "ffmpeg")

    def _video_path(self, soundtrack: Artifact, subtitles: Artifact) -> Path:
        job = self.state["job"]
        key = content_key(
            "render-v2",
            [(s["image"]["sha256"], s["image"].get("overlay")) for s in script_scenes(self.state)],
            job.get("captions", "plain"),
            self.state["timeline"],
            subtitles["sha256"],
            soundtrack["sha256"],
            job["width"],
            job["height"],
        )
        return self._run_dir / "video" / f"video-{key}.mp4"

    def video(self) -> Artifact:
        """The rendered video; rendered again, from verified inputs, unless an intact one exists."""
        soundtrack = self.soundtrack()
        subtitles = self.subtitles()
        if (cached := _cached(self._video_path(soundtrack, subtitles))) is not None:
            return cached
        scenes = self.scenes("image")
        path = self._video_path(soundtrack, subtitles)
        self._repaired("the video", self.state.get("rendered"), path)
        _render_file(scenes, self.state, soundtrack, path, self.runtime)
        return _keep(path, "offline", "pyav-libx264")


def _render_file(
    scenes: list[SceneAssets],
    state: dict[str, Any],
    soundtrack: Artifact,
    path: Path,
    runtime: Runtime[Context],
) -> None:
    """Render motion, transitions and burned-in subtitles into `path`, reporting progress as it goes."""
    job = state["job"]
    timeline = state["timeline"]
    segments = timed_segments(scenes, timeline)
    # Every voice has spoken by now; the render needs the memory more than the voice model does.
    runtime.context.voices.release()
    release_free_memory()
    writer = get_stream_writer()
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
        timed_cues(scenes, timeline, job),
        Path(soundtrack["path"]),
        path,
        job["width"],
        job["height"],
        fps=FPS,
        transition_s=TRANSITION_S,
        progress=progress,
        captions=job.get("captions", "plain"),
    )
