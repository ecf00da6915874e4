"""ContentGeneration keeps the asked length: a model that writes too much is sent back once with each scene's
budget, then its script is fitted; other problems still get every revision. A real fake Ollama answers."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents import build_content_generation_graph
from agents.content_generation import planning_rate, voice_pace
from graph.router_config import load_router_settings
from state import Context, JobRequest
from tests.servers.ollama import OllamaServer, writes_too_much
from tools.media.ffmpeg import find_ffmpeg
from tools.models.service import ModelRouter
from tools.speech import VoiceShelf
from tools.storage.sqlite_ledger import UsageLedger
from tools.text.quality import count_words, speaking_time, split_sentences, word_limits


def _context(tmp_path: Path, ollama_url: str, max_revisions: int = 2) -> Context:
    environ = {"OLLAMA_HOST": ollama_url, "REELFORGE_THIRD_PARTY_FREE": "off"}
    return Context(
        run_id="length",
        run_dir=tmp_path / "run",
        home=tmp_path,
        voices=VoiceShelf(),
        ffmpeg=find_ffmpeg(),
        models=ModelRouter(
            load_router_settings(tmp_path, environ=environ), UsageLedger(tmp_path / "ledger.sqlite"), "t"
        ),
        max_revisions=max_revisions,
    )


def _write(tmp_path: Path, ollama: OllamaServer, duration: int = 25, max_revisions: int = 2) -> dict:
    """Run ContentGeneration up to the scenes (not made: only the script matters here)."""
    job = JobRequest(topic="how bees make honey", duration_s=duration, voice="espeak", preview=True).to_job()
    app = build_content_generation_graph().compile(
        checkpointer=InMemorySaver(), interrupt_before=["make_scene"]
    )
    config = {"configurable": {"thread_id": "length"}}
    app.invoke({"job": job, "facts": []}, config, context=_context(tmp_path, ollama.url, max_revisions))
    return dict(app.get_state(config).values)


def _prompt(chat: dict) -> str:
    return chat["messages"][-1]["content"]


def _max_words(duration: int) -> int:
    return word_limits(duration, planning_rate("espeak", duration))[1]


def _draft(narrations: list[str]) -> str:
    scenes = [
        {"narration": text, "on_screen_text": f"Scene {i}", "visual": "bees", "sources": []}
        for i, text in enumerate(narrations, start=1)
    ]
    return json.dumps(
        {
            "title": "Bees",
            "hook": narrations[0].split(".")[0] + ".",
            "scenes": scenes,
            "call_to_action": narrations[-1].rsplit(". ", 1)[-1],
            "description": "Bees.",
            "tags": ["bees"],
        }
    )


def test_the_prompt_gives_each_scene_its_budget(tmp_path):
    short = _draft(["Bees fly.", "Bees dance.", "Bees sip.", "Bees fan.", "Bees rest."])
    with OllamaServer(default_reply=short) as ollama:
        _write(tmp_path, ollama)
    prompt = _prompt(ollama.chats[0])
    most = _max_words(25)
    assert f"at most {most} words of narration in total" in prompt
    budgets = [int(n) for n in re.findall(r"^- scene \d+: at most (\d+) words$", prompt, re.M)]
    assert len(budgets) == 5 and sum(budgets) == most and max(budgets) - min(budgets) <= 1
    assert "Write 5 scenes" in prompt


def test_a_model_that_writes_too_much_is_revised_once_then_fitted(tmp_path):
    with OllamaServer(respond=writes_too_much(2.0)) as ollama:
        values = _write(tmp_path, ollama)
    most = _max_words(25)
    # The draft and one revision: the revision states every scene's words against its budget.
    assert len(ollama.chats) == 2
    revision = _prompt(ollama.chats[1])
    assert re.search(r"^- scene 1: \d+ words, budget \d+: cut \d+$", revision, re.M), revision
    assert f"budget {most}" in revision
    assert values["revisions"] == 1
    assert values["tiers"]["script"] == "self-hosted:ollama"

    script = values["script"]
    assert values["quality"]["passed"], values["quality"]
    assert sum(count_words(scene["narration"]) for scene in script["scenes"]) <= most
    assert [scene["index"] for scene in script["scenes"]] == list(range(1, len(script["scenes"]) + 1))
    assert script["scenes"][0]["narration"].startswith(script["hook"])
    assert script["scenes"][-1]["narration"].endswith(script["call_to_action"])
    # Every sentence left is one the model wrote in its revision, whole.
    revised = json.loads(writes_too_much(2.0)(ollama.chats[1]))
    written = {s for scene in revised["scenes"] for s in split_sentences(scene["narration"])}
    for scene in script["scenes"]:
        assert set(split_sentences(scene["narration"])) <= written
    [note] = [w for w in values["warnings"] if w.startswith("dropped ")]
    assert re.search(r'(scene \d+ \("[^"]+"\)|sentences? of scene \d+)', note), note
    assert "to fit 25 s" in note and f"at most {most} fit" in note


def test_with_no_revision_left_the_draft_is_fitted(tmp_path):
    with OllamaServer(respond=writes_too_much(2.0)) as ollama:
        values = _write(tmp_path, ollama, max_revisions=0)
    assert len(ollama.chats) == 1
    assert values["revisions"] == 0
    assert sum(count_words(s["narration"]) for s in values["script"]["scenes"]) <= _max_words(25)
    assert any(w.startswith("dropped ") and "to fit 25 s" in w for w in values["warnings"])


def test_other_problems_still_get_their_revisions(tmp_path):
    long_scene = (
        "Honey bees visit thousands of flowers every single day to gather sweet nectar. "
        "Each worker carries the nectar home in a special stomach called the crop. "
        "Back at the hive, the nectar passes from bee to bee many times over."
    )
    repeated = [long_scene, long_scene, long_scene, long_scene, long_scene]
    good = _draft(
        [
            "Bees turn nectar into honey.",
            "They sip nectar from flowers.",
            "Enzymes break the sugars down.",
            "Wings fan the water away.",
            "Wax caps seal each cell. Follow for more.",
        ]
    )
    with OllamaServer() as ollama:
        # Too long and repeated, twice; then a good script.
        ollama.replies = [_draft(repeated), _draft(repeated), good]
        values = _write(tmp_path, ollama)
    # The draft, the one revision for length (then fitted, still repeated), and a second for the repeats.
    assert len(ollama.chats) == 3
    assert values["revisions"] == 2
    assert "duplicate_scene" in "\n".join(_prompt(ollama.chats[2]).splitlines()[:8])
    assert values["quality"]["passed"], values["quality"]
    assert [s["narration"] for s in values["script"]["scenes"]][0] == "Bees turn nectar into honey."
    assert sum(1 for w in values.get("warnings", []) if w.startswith("dropped ")) == 1


@pytest.mark.parametrize("voice", ["joe", "espeak"])
def test_the_pace_estimates_real_speech(voice):
    """The estimate the gate and the fitting use is within 15 % of what the voice really takes, for short
    and for long sentences."""
    pace = voice_pace(voice)
    synthesizer = VoiceShelf().get(voice)
    texts = [
        "Bees fly. They sip nectar. Wings hum. Cells fill. Wax seals them. Honey keeps.",
        "Honey bees visit thousands of flowers every single day to gather sweet nectar for the hive. "
        "Back at the hive, the nectar passes from one bee to the next many times over.",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for number, text in enumerate(texts):
            spoken = synthesizer.synthesize(text, Path(folder) / f"{number}.wav").duration_s
            assert abs(speaking_time(text, pace) - spoken) <= 0.15 * spoken, (text, spoken)
