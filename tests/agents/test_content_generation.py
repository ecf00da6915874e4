"""ContentGeneration as a graph: the quality gate sends a bad script back, at most twice."""

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents import build_content_generation_graph
from agents.content_generation import ScriptRejected
from graph.router_config import load_router_settings
from state import Context, JobRequest
from tools.journal import summarize_journal
from tools.media.ffmpeg import find_ffmpeg
from tools.models.service import ModelRouter
from tools.speech import VoiceShelf
from tools.storage.sqlite_ledger import UsageLedger


def _context(tmp_path: Path, max_revisions: int = 2) -> Context:
    return Context(
        run_id="t",
        run_dir=tmp_path / "run",
        home=tmp_path,
        voices=VoiceShelf(),
        ffmpeg=find_ffmpeg(),
        models=ModelRouter(
            load_router_settings(tmp_path, environ={}), UsageLedger(tmp_path / "ledger.sqlite"), "t"
        ),
        max_revisions=max_revisions,
    )


def _bad_script(good: dict, empty: bool = True) -> dict:
    scenes = good["scenes"]
    last = {**scenes[2], "narration": ""} if empty else dict(scenes[2])
    bad = [dict(scenes[0]), dict(scenes[1]), dict(scenes[1]), last]
    for i, scene in enumerate(bad, start=1):
        scene["index"] = i
    return {**good, "scenes": bad}


def _run_with_injected_script(tmp_path: Path, max_revisions: int, empty: bool = True):
    job = JobRequest(topic="how bees make honey", duration_s=20, voice="espeak", preview=True).to_job()
    app = build_content_generation_graph().compile(
        checkpointer=InMemorySaver(), interrupt_after=["write_script"]
    )
    config = {"configurable": {"thread_id": "gate"}}
    context = _context(tmp_path, max_revisions)
    app.invoke({"job": job, "facts": []}, config, context=context)
    good = app.get_state(config).values["script"]
    app.update_state(config, {"script": _bad_script(good, empty)}, as_node="write_script")
    result = app.invoke(None, config, context=context)
    return result, summarize_journal(context.run_dir)


def test_gate_revises_a_bad_script_then_makes_each_scene(tmp_path):
    result, journal = _run_with_injected_script(tmp_path, max_revisions=2)
    assert 1 <= result["revisions"] <= 2
    assert result["quality"]["passed"], result["quality"]
    assert journal.starts["content_generation.revise_script"] == result["revisions"]
    assert len(result["scenes"]) == len(result["script"]["scenes"])
    for scene in result["scenes"]:
        assert Path(scene["image"]["path"]).is_file()
        assert scene["audio"]["duration_s"] > 0.3
    assert not result.get("warnings")


def test_gate_refuses_an_unspeakable_script_when_revisions_are_spent(tmp_path):
    with pytest.raises(ScriptRejected, match="empty_scene"):
        _run_with_injected_script(tmp_path, max_revisions=0)


def test_gate_gives_up_after_max_revisions_with_a_warning(tmp_path):
    result, journal = _run_with_injected_script(tmp_path, max_revisions=0, empty=False)
    assert result["revisions"] == 0
    assert "content_generation.revise_script" not in journal.starts
    assert any("quality gate" in w for w in result["warnings"])


@pytest.mark.parametrize("duration", [10, 60, 600])
def test_first_draft_passes_the_gate(tmp_path, duration):
    job = JobRequest(
        topic="the history of coffee", duration_s=duration, voice="espeak", preview=True
    ).to_job()
    app = build_content_generation_graph().compile(
        checkpointer=InMemorySaver(), interrupt_after=["check_script"]
    )
    config = {"configurable": {"thread_id": f"d{duration}"}}
    app.invoke({"job": job, "facts": []}, config, context=_context(tmp_path))
    assert app.get_state(config).values["quality"]["passed"]


def test_sources_too_long_for_the_duration_are_reported(tmp_path):
    facts = [
        {
            "text": "A honey bee colony can hold around fifty thousand bees at the height of summer.",
            "source": "notes.md",
        },
    ]
    job = JobRequest(topic="honey", duration_s=10, voice="espeak", preview=True).to_job()
    app = build_content_generation_graph().compile(
        checkpointer=InMemorySaver(), interrupt_after=["write_script"]
    )
    config = {"configurable": {"thread_id": "short"}}
    app.invoke({"job": job, "facts": facts}, config, context=_context(tmp_path))
    values = app.get_state(config).values
    assert values["script"]["citations"] == []
    assert any("outline" in warning for warning in values["warnings"])
