"""Stream parts become RunEvents: stages, nodes, scenes, artifacts with their tier, warnings, progress."""

from __future__ import annotations

from graph.run_events import EventTranslator

SCENE = {"index": 2, "narration": "n", "on_screen_text": "t", "visual": "v", "sources": []}
ARTIFACT = {
    "path": "/runs/r/scenes/scene-02-ab.png",
    "sha256": "ab" * 32,
    "tier": "offline",
    "provider": "cards",
}
AUDIO = {**ARTIFACT, "path": "/runs/r/scenes/scene-02-cd.wav", "provider": "espeak-ng", "duration_s": 2.0}


def tasks(ns: tuple[str, ...], **data) -> dict:
    return {"type": "tasks", "ns": ns, "data": data}


def kinds(events) -> list[tuple]:
    return [(e["kind"], e["stage"], e["node"], e["scene"]) for e in events]


def test_a_sub_agent_starts_and_finishes_as_a_stage_and_its_nodes_as_nodes():
    translate = EventTranslator()
    inner = ("content_generation:abc",)
    events = [
        *translate(tasks((), id="1", name="content_generation", input={}, triggers=())),
        *translate(tasks(inner, id="2", name="make_scene", input={"scene": SCENE}, triggers=())),
        *translate(
            tasks(
                inner,
                id="2",
                name="make_scene",
                error=None,
                interrupts=[],
                result={"scenes": [{"index": 2, "image": ARTIFACT, "audio": AUDIO}]},
            )
        ),  # fmt: skip
        *translate(tasks((), id="1", name="content_generation", error=None, interrupts=[], result={})),
    ]
    assert kinds(events) == [
        ("stage_started", "content_generation", None, None),
        ("node_started", "content_generation", "make_scene", 2),
        ("artifact_made", "content_generation", "make_scene", 2),
        ("artifact_made", "content_generation", "make_scene", 2),
        ("node_finished", "content_generation", "make_scene", 2),
        ("stage_finished", "content_generation", None, None),
    ]
    image, voice = events[2]["data"], events[3]["data"]
    assert (image["artifact"], image["tier"], image["sha256"]) == ("image", "offline:cards", "ab" * 32)
    assert (voice["artifact"], voice["tier"]) == ("narration", "offline:espeak-ng")
    assert events[2]["message"] == "image 02 made by offline:cards"


def test_plan_request_is_the_planning_stage():
    translate = EventTranslator()
    started = translate(tasks((), id="1", name="plan_request", input={}, triggers=()))
    finished = translate(
        tasks((), id="1", name="plan_request", error=None, interrupts=[], result={"warnings": ["w"]})
    )
    assert kinds(started) == [
        ("stage_started", "planning", None, None),
        ("node_started", "planning", "plan_request", None),
    ]
    assert kinds(finished) == [
        ("warning", "planning", "plan_request", None),
        ("node_finished", "planning", "plan_request", None),
        ("stage_finished", "planning", None, None),
    ]


def test_a_task_that_failed_or_stopped_at_a_gate_has_not_finished():
    translate = EventTranslator()
    inner = ("content_generation:abc",)
    gate = [{"value": {"gate": "script"}, "id": "x"}]
    assert translate(tasks(inner, id="3", name="review_script", error=None, interrupts=gate, result={})) == []
    assert (
        translate(tasks((), id="1", name="content_generation", error=None, interrupts=gate, result={})) == []
    )
    assert (
        translate(tasks(inner, id="4", name="write_script", error="boom", interrupts=[], result=None)) == []
    )


def test_script_video_publication_and_degradation_are_reported():
    translate = EventTranslator()
    ns = ("video_production:abc",)
    video = {"video": ARTIFACT, "thumbnail": {**ARTIFACT, "provider": "pyav"}, "subtitles": ARTIFACT}
    events = translate(
        tasks(ns, id="5", name="verify_output", error=None, interrupts=[], result={"video": video})
    )
    assert [e["data"].get("artifact") for e in events] == ["thumbnail", None]
    script = {"title": "Bees", "scenes": [SCENE, SCENE]}
    events = translate(
        tasks(
            ("content_generation:a",),
            id="6",
            name="write_script",
            error=None,
            interrupts=[],
            result={
                "script": script,
                "tiers": {"script": "self-hosted:ollama"},
                "degraded": [{"reason": "ollama timed out", "capability": "text"}],
            },
        )
    )
    assert events[0]["message"] == "script 'Bees' (2 scenes) by self-hosted:ollama"
    assert events[1]["kind"] == "warning" and events[1]["data"]["degraded"] is True
    publication = {"target": "gallery", "id": "r", "url": "file:///g/index.html#r", "published_at": "t"}
    events = translate(
        tasks(("publishing:a",), id="7", name="publish_gallery", error=None, interrupts=[],
              result={"publications": [publication]})
    )  # fmt: skip
    assert events[0]["message"] == "published to gallery: file:///g/index.html#r"


def test_render_progress_comes_in_whole_steps_once_each():
    translate = EventTranslator()
    ns = ("video_production:abc",)
    sent = []
    for pct in (0.0, 1.2, 4.9, 5.0, 5.1, 37.0, 99.9, 100.0, 100.0):
        sent += translate({"type": "custom", "ns": ns, "data": {"stage": "render", "pct": pct}})
    assert [e["data"]["pct"] for e in sent] == [0.0, 5.0, 35.0, 95.0, 100.0]
    assert {e["node"] for e in sent} == {"render_scenes"}


def test_a_scene_made_names_who_made_it_and_which_take():
    translate = EventTranslator()
    ns = ("content_generation:abc",)
    done = {"stage": "scene", "scene": 3, "of": 5, "status": "done", "image": "cards", "voice": "espeak-ng"}
    (event,) = translate({"type": "custom", "ns": ns, "data": done})
    assert (event["kind"], event["scene"], event["message"]) == (
        "scene_made",
        3,
        "scene 3/5 made by cards + espeak-ng",
    )
    (again,) = translate({"type": "custom", "ns": ns, "data": {**done, "take": 2}})
    assert again["message"] == "scene 3/5 made (take 2) by cards + espeak-ng"
    assert translate({"type": "custom", "ns": ns, "data": {**done, "status": "started"}}) == []
