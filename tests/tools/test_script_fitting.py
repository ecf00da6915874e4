"""Fitting a script to its word budget: whole sentences and scenes go, the least important first, and the
warning says exactly what went."""

from __future__ import annotations

import pytest

from state import Citation, SceneSpec, Script
from tools.text.quality import Pace, count_words, narration_time, split_sentences
from tools.text.script_fitting import fit_script, fitting_note

HOOK = "Ever wondered how bees make honey?"
CTA = "Follow for more."


def _scene(index: int, narration: str, sources: list[str] | None = None) -> SceneSpec:
    return {
        "index": index,
        "narration": narration,
        "on_screen_text": f"Headline {index}",
        "visual": "Title card",
        "sources": sources or [],
    }


def _script(*narrations: str, citations: list[Citation] | None = None) -> Script:
    return {
        "title": "Bees",
        "hook": HOOK,
        "scenes": [_scene(i, text) for i, text in enumerate(narrations, start=1)],
        "call_to_action": CTA,
        "description": "",
        "tags": [],
        "citations": citations or [],
        "writer": "test",
    }


def _words(script: Script) -> int:
    return sum(count_words(scene["narration"]) for scene in script["scenes"])


LONG = _script(
    f"{HOOK} Honey bees visit thousands of flowers every day. Each worker carries nectar home in her crop.",
    "Back at the hive the nectar passes from bee to bee. Enzymes break the sugars into simple ones.",
    "Workers fan their wings for hours. The water slowly leaves the nectar. It thickens into honey.",
    "A strong colony stores 20 kilograms of honey in a summer. Beekeepers take only the surplus.",
    f"Clover honey is pale and mild. Buckwheat honey is dark and strong. {CTA}",
)


@pytest.mark.parametrize("budget", [60, 45, 30, 20])
def test_fits_by_dropping_whole_sentences_and_keeps_the_hook_and_the_call_to_action(budget):
    fitted = fit_script(LONG, budget, min_scenes=5)
    script = fitted.script
    assert fitted.fits and _words(script) <= budget == fitted.max_words
    assert fitted.words_before == _words(LONG) and fitted.words_after == _words(script)
    assert [scene["index"] for scene in script["scenes"]] == list(range(1, len(script["scenes"]) + 1))
    assert script["scenes"][0]["narration"].startswith(HOOK) and script["hook"] == HOOK
    assert script["scenes"][-1]["narration"].endswith(CTA) and script["call_to_action"] == CTA
    written = {s for scene in LONG["scenes"] for s in split_sentences(scene["narration"])}
    for scene in script["scenes"]:
        assert scene["narration"].strip()
        assert set(split_sentences(scene["narration"])) <= written, "a sentence was cut"


def test_sentences_go_before_scenes_while_the_scenes_are_at_their_minimum():
    fitted = fit_script(LONG, 50, min_scenes=5)
    assert len(fitted.script["scenes"]) == 5
    assert not fitted.dropped_scenes and fitted.dropped_sentences


def test_what_is_left_is_as_long_as_the_budget_allows():
    """A sentence dropped on the way comes back when it fits after all."""
    fitted = fit_script(LONG, 45, min_scenes=5)
    kept = {s for scene in fitted.script["scenes"] for s in split_sentences(scene["narration"])}
    left_out = [
        s
        for scene in LONG["scenes"]
        for s in split_sentences(scene["narration"])
        if s not in kept
        and any(
            split_sentences(scene["narration"])[0] in kept_scene["narration"]
            for kept_scene in fitted.script["scenes"]
        )
    ]
    assert all(fitted.words_after + count_words(s) > 45 for s in left_out)


def test_a_middle_scene_goes_whole_and_the_warning_names_it():
    script = _script(
        f"{HOOK} Bees make honey from nectar.",
        "Nectar comes from flowers.",
        "The hive is warm inside.",
        "A strong colony stores 20 kilograms of honey in a summer, enough for a long winter.",
        "Beekeepers wear veils and gloves.",
        "Bees fan the honey dry.",
        f"Wax caps seal every cell. {CTA}",
    )
    fitted = fit_script(script, 40, min_scenes=5)
    # Above the fewest scenes a script may have, the least informative middle scenes go first.
    assert [number for number, _ in fitted.dropped_scenes] == [2, 6]
    assert [scene["index"] for scene in fitted.script["scenes"]] == [1, 2, 3, 4, 5]
    assert fitted.script["scenes"][2]["narration"].startswith("A strong colony"), "the informative one stays"
    assert fitting_note(fitted, 15) == (
        'dropped scene 2 ("Headline 2"), scene 6 ("Headline 6") and one sentence of scene 7 to fit 15 s '
        "(54 words down to 40; at most 40 fit)"
    )


def test_the_note_counts_sentences_per_scene():
    fitted = fit_script(LONG, 50, min_scenes=5)
    note = fitting_note(fitted, 25)
    assert note.startswith("dropped ") and " to fit 25 s (" in note
    for number, count in fitted.dropped_sentences.items():
        word = ("one", "two", "three")[count - 1]
        assert f"{word} sentence{'s' if count > 1 else ''} of scene {number}" in note


def test_scenes_below_the_minimum_go_only_when_every_scene_is_down_to_one_sentence():
    fitted = fit_script(LONG, 14, min_scenes=5)
    assert fitted.fits
    assert len(fitted.script["scenes"]) < 5
    assert fitted.script["scenes"][0]["narration"].startswith(HOOK)
    assert fitted.script["scenes"][-1]["narration"].endswith(CTA)


def test_citations_follow_the_scenes_that_remain():
    script = _script(
        f"{HOOK} Bees make honey.",
        "Honey never spoils.",
        "In 1937 Karl von Frisch watched Bees dance to share where the flowers are.",
        "Pollen sticks to their legs.",
        f"Bees fan it dry. {CTA}",
        citations=[
            {"source": "museum.md", "title": "Museum"},
            {"source": "dance.md", "title": "Dance"},
            {"source": "unused.md", "title": "Named by no scene"},
        ],
    )
    script["scenes"][1]["sources"] = ["museum.md"]
    script["scenes"][2]["sources"] = ["dance.md"]
    fitted = fit_script(script, 25, min_scenes=3)
    assert [number for number, _ in fitted.dropped_scenes] == [2, 4]
    # The dropped scene's source goes; the kept scene's stays, and so does one no scene named.
    assert [c["source"] for c in fitted.script["citations"]] == ["dance.md", "unused.md"]


def test_a_script_that_fits_is_left_alone():
    fitted = fit_script(LONG, 200, min_scenes=5)
    assert fitted.script == LONG and not fitted.changed
    assert fitting_note(fitted, 60).startswith("dropped nothing")


def test_a_sentence_longer_than_the_budget_is_never_cut():
    script = {**_script(" ".join(["word"] * 30) + "."), "hook": "", "call_to_action": ""}
    fitted = fit_script(script, 10)
    assert not fitted.fits
    assert fitted.script["scenes"][0]["narration"] == script["scenes"][0]["narration"]
    assert "never cut in the middle" in fitting_note(fitted, 5)


def test_short_sentences_are_fitted_to_the_time_they_take():
    """Within its words, a script of many short sentences can still outlast the video: their pauses."""
    choppy = _script(
        f"{HOOK} Bees fly. They sip. They hum.",
        "Nectar flows. Cells fill. Wax grows.",
        "Wings fan. Water goes. Honey thickens.",
        "Caps seal. Winter comes. Bees eat.",
        f"Honey keeps. Jars fill. {CTA}",
    )
    pace = Pace(3.3, 2.0, 0.2)
    narrations = [scene["narration"] for scene in choppy["scenes"]]
    assert narration_time(narrations, pace) > 13
    by_words = fit_script(choppy, 60, min_scenes=5)
    assert not by_words.changed
    fitted = fit_script(choppy, 60, min_scenes=5, pace=pace, max_seconds=13)
    assert fitted.fits and fitted.seconds_after is not None and fitted.seconds_after <= 13
    assert narration_time([s["narration"] for s in fitted.script["scenes"]], pace) <= 13
    assert "s spoken down to" in fitting_note(fitted, 12)


def test_fitting_is_deterministic():
    assert fit_script(LONG, 33, min_scenes=5) == fit_script(LONG, 33, min_scenes=5)
