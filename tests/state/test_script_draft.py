"""Tests for ScriptDraft.to_script: a model's draft becomes the Script that enters state."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from state.script import Fact
from state.script_draft import SceneDraft, ScriptDraft

WIKI = "https://en.wikipedia.org/wiki/Coffee"
NCA = "https://www.ncausa.org/history"
NOTES = "notes/coffee.md"
FACTS: list[Fact] = [
    {"text": "Coffee was first brewed in Yemen.", "source": WIKI},
    {"text": "Coffee houses spread across Europe.", "source": NCA},
    {"text": "Espresso was invented in Italy.", "source": NOTES},
]
HOOK = "A bean once changed the world."
CTA = "Follow for more food history."


def draft(*narrations: str, **overrides: Any) -> ScriptDraft:
    fields: dict[str, Any] = {
        "title": "The history of coffee",
        "hook": HOOK,
        "scenes": [{"narration": n, "on_screen_text": f"Scene {i}"} for i, n in enumerate(narrations, 1)],
        "call_to_action": CTA,
    }
    fields.update(overrides)
    return ScriptDraft.model_validate(fields)


def test_scenes_are_numbered_from_one():
    script = draft("One.", "Two.", "Three.").to_script(FACTS, "ollama:qwen3:8b")
    assert [scene["index"] for scene in script["scenes"]] == [1, 2, 3]
    assert script["writer"] == "ollama:qwen3:8b"


def test_the_hook_is_prepended_to_scene_one_when_missing():
    script = draft("Coffee began in Yemen.", "It spread.").to_script(FACTS, "w")
    assert script["scenes"][0]["narration"] == f"{HOOK} Coffee began in Yemen."
    assert script["scenes"][1]["narration"].startswith("It spread.")
    assert script["hook"] == HOOK


def test_the_hook_is_not_duplicated_when_the_model_already_spoke_it():
    script = draft(f"{HOOK} Coffee began in Yemen.", "It spread.").to_script(FACTS, "w")
    assert script["scenes"][0]["narration"] == f"{HOOK} Coffee began in Yemen."
    assert script["scenes"][0]["narration"].count(HOOK) == 1


def test_the_call_to_action_is_appended_to_the_last_scene_when_missing():
    script = draft("One.", "Two.", "Three.").to_script(FACTS, "w")
    assert script["scenes"][-1]["narration"] == f"Three. {CTA}"
    assert CTA not in script["scenes"][1]["narration"]
    assert script["call_to_action"] == CTA


def test_the_call_to_action_is_not_duplicated_when_present():
    script = draft("One.", f"Two. {CTA}").to_script(FACTS, "w")
    assert script["scenes"][-1]["narration"] == f"Two. {CTA}"


def test_a_single_scene_gets_both_the_hook_and_the_call_to_action():
    script = draft("The only scene.").to_script(FACTS, "w")
    assert script["scenes"][0]["narration"] == f"{HOOK} The only scene. {CTA}"


def test_an_empty_hook_or_call_to_action_adds_nothing():
    script = draft("One.", "Two.", hook="  ", call_to_action="").to_script(FACTS, "w")
    assert [scene["narration"] for scene in script["scenes"]] == ["One.", "Two."]
    assert (script["hook"], script["call_to_action"]) == ("", "")


def test_text_is_collapsed_to_single_spaces_and_stripped():
    script = draft(
        "  Coffee\n began   in\tYemen. ",
        title="  The history of coffee ",
        hook=f"  {HOOK}  ",
        call_to_action=f" {CTA}\n",
        description="  About coffee.  ",
    ).to_script(FACTS, "w")
    assert script["scenes"][0]["narration"] == f"{HOOK} Coffee began in Yemen. {CTA}"
    assert script["title"] == "The history of coffee"
    assert script["description"] == "About coffee."


def test_empty_on_screen_text_falls_back_to_the_title_and_visual_is_stripped():
    scenes = [{"narration": "One.", "on_screen_text": "   ", "visual": "  a steaming cup  "}]
    script = draft(scenes=scenes).to_script(FACTS, "w")
    assert script["scenes"][0]["on_screen_text"] == "The history of coffee"
    assert script["scenes"][0]["visual"] == "a steaming cup"


def test_sources_not_among_the_facts_are_dropped():
    scenes = [
        {"narration": "One.", "on_screen_text": "a", "sources": [WIKI, "https://made.up/by-the-model"]},
        {"narration": "Two.", "on_screen_text": "b", "sources": ["https://en.wikipedia.org/wiki/Tea"]},
    ]
    script = draft(scenes=scenes).to_script(FACTS, "w")
    assert script["scenes"][0]["sources"] == [WIKI]
    assert script["scenes"][1]["sources"] == []
    assert [c["source"] for c in script["citations"]] == [WIKI]


def test_without_facts_no_source_survives():
    scenes = [{"narration": "One.", "on_screen_text": "a", "sources": [WIKI, NCA]}]
    script = draft(scenes=scenes).to_script([], "offline-writer")
    assert script["scenes"][0]["sources"] == []
    assert script["citations"] == []


def test_citations_list_each_used_source_once_in_first_use_order():
    scenes = [
        {"narration": "One.", "on_screen_text": "a", "sources": [NCA, WIKI]},
        {"narration": "Two.", "on_screen_text": "b", "sources": [WIKI, NOTES, NCA]},
        {"narration": "Three.", "on_screen_text": "c"},
    ]
    script = draft(scenes=scenes).to_script(FACTS, "w")
    assert script["citations"] == [
        {"source": NCA, "title": "history"},
        {"source": WIKI, "title": "Coffee"},
        {"source": NOTES, "title": "coffee.md"},
    ]


def test_a_fact_source_that_is_never_used_is_not_cited():
    scenes = [{"narration": "One.", "on_screen_text": "a", "sources": [NOTES]}]
    assert [c["source"] for c in draft(scenes=scenes).to_script(FACTS, "w")["citations"]] == [NOTES]


def test_tags_are_trimmed_emptied_ones_dropped_and_capped_at_fifteen():
    tags = ["  coffee ", "", "   ", "history"] + [f"tag{n}" for n in range(20)]
    script = draft("One.", tags=tags).to_script(FACTS, "w")
    assert script["tags"][:3] == ["coffee", "history", "tag0"]
    assert len(script["tags"]) == 15
    assert script["tags"][-1] == "tag12"


def test_the_result_is_json_native():
    import json

    script = draft("One.", "Two.").to_script(FACTS, "w")
    assert json.loads(json.dumps(script)) == script


def test_unknown_keys_from_the_model_are_ignored_and_limits_hold():
    extra = draft("One.", mood="upbeat")
    assert extra.to_script(FACTS, "w")["scenes"][0]["narration"].startswith(HOOK)
    with pytest.raises(ValidationError):
        draft()  # no scenes
    with pytest.raises(ValidationError):
        draft(*[f"Scene {n}." for n in range(13)])
    with pytest.raises(ValidationError):
        SceneDraft(narration="", on_screen_text="x")


def test_a_hook_with_odd_whitespace_is_recognised_and_not_duplicated():
    hook = "A bean once  changed\nthe world."
    script = draft(f"{HOOK} Coffee began in Yemen.", "Two.", hook=hook).to_script(FACTS, "w")
    assert script["scenes"][0]["narration"] == f"{HOOK} Coffee began in Yemen."
