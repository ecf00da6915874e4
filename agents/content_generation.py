"""ContentGeneration: write the script, gate it with rules, then fan out one branch per scene."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, Send

from agents.tracking import tracked
from state import (
    AudioArtifact,
    ContentIn,
    ContentOut,
    ContentState,
    Context,
    SceneAssets,
    SceneTask,
    SpokenSentence,
    output_size,
)
from tools.errors import ReelforgeError, is_transient
from tools.files import content_key, make_artifact, reusable, write_text_atomic
from tools.images.cards import render_card
from tools.speech import WORDS_PER_SECOND
from tools.text.offline_writer import revise_script as repair_script
from tools.text.offline_writer import write_script as write_offline_script
from tools.text.quality import check_script as check_script_rules
from tools.text.quality import problem_code

# Problems a video can still be made with become warnings; these cannot be voiced or shown.
UNRENDERABLE = frozenset({"empty_scene"})


class ScriptRejected(ReelforgeError):
    """The script still has a problem no video can be made with after every revision."""


# The voices' rates were measured on long prose. Short videos are mostly short sentences, whose
# pauses weigh more, so plan below the rate: 10 s plans at 80 %, 20 s and longer at 90 %.
PAUSE_ALLOWANCE_S = 2.0


def planning_rate(voice: str, duration_s: int) -> float:
    """Words per second to plan a `duration_s` script for `voice`, leaving room for pauses."""
    margin = min(0.9, max(0.75, 1 - PAUSE_ALLOWANCE_S / duration_s))
    return WORDS_PER_SECOND[voice] * margin


@tracked("content_generation")
def write_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Write the first draft from the topic and the facts with the offline writer."""
    job = state["job"]
    script = write_offline_script(
        job["topic"],
        state.get("facts", []),
        job["duration_s"],
        planning_rate(job["voice"], job["duration_s"]),
    )
    update: dict[str, Any] = {
        "script": script,
        "revisions": 0,
        "tiers": {"script": f"offline:{script['writer']}"},
    }
    if state.get("facts") and not script["citations"]:
        update["warnings"] = [
            f"no fact from your sources fits a {job['duration_s']} s video, so the script is an outline; "
            "try a longer --duration"
        ]
    return update


@tracked("content_generation")
def check_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Run the rule quality gate; when revisions are spent, keep the script and say what is wrong."""
    job = state["job"]
    report = check_script_rules(
        state["script"], job["duration_s"], planning_rate(job["voice"], job["duration_s"])
    )
    update: dict[str, Any] = {"quality": report}
    if not report["passed"] and state.get("revisions", 0) >= runtime.context.max_revisions:
        summary = (
            f"the script still fails the quality gate after {state.get('revisions', 0)} revisions: "
            + "; ".join(report["problems"])
        )
        if any(problem_code(problem) in UNRENDERABLE for problem in report["problems"]):
            raise ScriptRejected(f"{summary}; edit the script or the sources and run again")
        update["warnings"] = [summary]
    return update


@tracked("content_generation")
def revise_script(state: ContentState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Repair the problems the gate found, keeping the scenes that passed."""
    job = state["job"]
    script = repair_script(
        state["script"],
        state["quality"]["problems"],
        job["duration_s"],
        planning_rate(job["voice"], job["duration_s"]),
    )
    return {"script": script, "revisions": state.get("revisions", 0) + 1}


def fan_out_scenes(state: ContentState) -> list[Send]:
    """Send one make_scene branch per scene."""
    script = state["script"]
    count = len(script["scenes"])
    return [
        Send("make_scene", SceneTask(job=state["job"], title=script["title"], scene=scene, scene_count=count))
        for scene in script["scenes"]
    ]


def route_after_check_script(state: ContentState, runtime: Runtime[Context]) -> str | list[Send]:
    """Revise a failing script while revisions remain; otherwise fan out to the scenes."""
    if not state["quality"]["passed"] and state.get("revisions", 0) < runtime.context.max_revisions:
        return "revise_script"
    return fan_out_scenes(state)


def _scene_image(task: SceneTask, run_dir: Path) -> dict[str, Any]:
    job, scene = task["job"], task["scene"]
    width, height = output_size(job["aspect"], job["preview"])
    kind = "data" if any(ch.isdigit() for ch in scene["on_screen_text"]) else "scene"
    key = content_key("card-v1", task["title"], scene, task["scene_count"], job["style"], width, height, kind)
    path = run_dir / "scenes" / f"scene-{scene['index']:02d}-{key}.png"
    if not path.exists():
        render_card(
            title=task["title"],
            on_screen_text=scene["on_screen_text"],
            narration=scene["narration"],
            index=scene["index"],
            count=task["scene_count"],
            style=job["style"],
            width=width,
            height=height,
            out_path=path,
            kind=kind,
        )
    return dict(make_artifact(path, "offline", "cards"))


def _scene_audio(task: SceneTask, runtime: Runtime[Context]) -> AudioArtifact:
    job, scene = task["job"], task["scene"]
    key = content_key("voice-v1", job["voice"], scene["narration"])
    path = runtime.context.run_dir / "scenes" / f"scene-{scene['index']:02d}-{key}.wav"
    sidecar = path.with_suffix(".json")
    if path.exists() and sidecar.exists():
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if reusable(saved):
            audio: AudioArtifact = saved
            return audio
    voice = runtime.context.voices.get(job["voice"])
    spoken = voice.synthesize(scene["narration"], path)
    sentences: list[SpokenSentence] = list(spoken.sentences)
    audio = {
        **make_artifact(path, voice.tier, voice.provider),
        "duration_s": spoken.duration_s,
        "sentences": sentences,
    }
    write_text_atomic(sidecar, json.dumps(audio))
    return audio


@tracked("content_generation")
def make_scene(state: SceneTask, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render one scene's card and speak its narration, reusing files whose inputs are unchanged."""
    writer = get_stream_writer()
    index = state["scene"]["index"]
    writer({"stage": "scene", "scene": index, "of": state["scene_count"], "status": "started"})
    image = _scene_image(state, runtime.context.run_dir)
    audio = _scene_audio(state, runtime)
    writer({"stage": "scene", "scene": index, "of": state["scene_count"], "status": "done"})
    assets: SceneAssets = {"index": index, "image": image, "audio": audio}  # type: ignore[typeddict-item]
    return {
        "scenes": [assets],
        "tiers": {"images": "offline:cards", "narration": f"{audio['tier']}:{audio['provider']}"},
    }


def build_content_generation_graph() -> StateGraph[Any, Context, Any, Any]:
    """Return the uncompiled ContentGeneration subgraph."""
    retry = RetryPolicy(max_attempts=2, retry_on=is_transient)
    graph = StateGraph(ContentState, context_schema=Context, input_schema=ContentIn, output_schema=ContentOut)
    graph.add_node("write_script", write_script)
    graph.add_node("check_script", check_script)
    graph.add_node("revise_script", revise_script)
    graph.add_node("make_scene", make_scene, retry_policy=retry)
    graph.add_edge(START, "write_script")
    graph.add_edge("write_script", "check_script")
    graph.add_conditional_edges("check_script", route_after_check_script, ["revise_script", "make_scene"])
    graph.add_edge("revise_script", "check_script")
    graph.add_edge("make_scene", END)
    return graph
