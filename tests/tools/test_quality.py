"""The rule quality gate: word budget, scene count, empty and duplicate scenes."""

from __future__ import annotations

import pytest

from state import SceneSpec, Script
from tools.errors import BadInput
from tools.text.quality import (
    Pace,
    check_script,
    count_words,
    narration_time,
    planned_scene_count,
    problem_code,
    scene_budgets,
    speaking_time,
    split_sentences,
    word_limits,
)


def _scene(index: int, narration: str, on_screen_text: str | None = None) -> SceneSpec:
    return {
        "index": index,
        "narration": narration,
        "on_screen_text": on_screen_text if on_screen_text is not None else f"Headline {index}",
        "visual": "Title card",
        "sources": [],
    }


def _script(*narrations: str) -> Script:
    return {
        "title": "T",
        "hook": "",
        "scenes": [_scene(i, text) for i, text in enumerate(narrations, start=1)],
        "call_to_action": "",
        "description": "",
        "tags": [],
        "citations": [],
        "writer": "test",
    }


SIX_WORDS = "Coffee spread along the trade routes."


def _codes(report: dict) -> set[str]:
    return {problem_code(problem) for problem in report["problems"]}


def test_a_good_script_passes_and_reports_its_rate():
    script = _script(*(f"{SIX_WORDS[:-1]} number {i}." for i in range(5)))
    report = check_script(script, 20, 2.5)
    assert report == {"passed": True, "problems": [], "words": 40, "words_per_second": 2.0}


def test_too_many_words_names_the_count_and_the_limit():
    script = _script(*([" ".join(["word"] * 40) + "."] * 1), "b c d.", "e f g.", "h i j.", "k l m.")
    report = check_script(script, 10, 2.5)
    assert not report["passed"]
    assert report["problems"] == ["too_many_words: 52 words for 10 s; at most 23 fit"]


def test_too_few_words_when_narration_fills_under_35_percent():
    report = check_script(_script("One.", "Two.", "Three.", "Four.", "Five."), 60, 2.5)
    assert report["problems"] == ["too_few_words: 5 words for 60 s; at least 53 needed"]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(3, "too_few_scenes: 3 scenes; at least 5"), (10, "too_many_scenes: 10 scenes; at most 8")],
)
def test_scene_count_limits(count, expected):
    script = _script(*(f"Scene {i} says something different here." for i in range(count)))
    report = check_script(script, 30, 2.5)
    assert expected in report["problems"]


def test_scene_limits_are_parameters():
    script = _script(*(f"Scene {i} says something different here." for i in range(3)))
    assert check_script(script, 20, 2.5, min_scenes=3, max_scenes=3)["passed"]


def test_empty_and_duplicate_scenes():
    script = _script("Alpha is first here.", "Beta comes next.", "", "ALPHA is first, here!", "Gamma.")
    script["scenes"][4]["on_screen_text"] = "headline 2"
    report = check_script(script, 8, 2.5)
    assert "empty_scene: scene 3 has no narration" in report["problems"]
    assert "duplicate_scene: scene 4 repeats scene 1" in report["problems"]
    assert "duplicate_scene: scene 5 repeats scene 2's on-screen text" in report["problems"]
    assert _codes(report) == {"empty_scene", "duplicate_scene"}


def test_punctuation_only_narration_is_empty():
    script = _script("...", "b c d.", "e f g.", "h i j.", "k l m.")
    assert "empty_scene: scene 1 has no narration" in check_script(script, 6, 2.5)["problems"]


def test_bad_duration_or_rate_is_bad_input():
    with pytest.raises(BadInput, match="duration"):
        check_script(_script("a."), 0, 2.5)
    with pytest.raises(BadInput, match="speaking rate"):
        word_limits(10, 0)


def test_word_limits_are_35_and_95_percent_of_capacity():
    assert word_limits(60, 2.5) == (53, 142)
    assert word_limits(10, 3.4) == (12, 32)


def test_count_words_ignores_punctuation_tokens():
    assert count_words("Hello , world -- it's 3.5 tonnes!") == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It cost 3.5 dollars. Then it rose.", ["It cost 3.5 dollars.", "Then it rose."]),
        ("Dr. Smith arrived. He left.", ["Dr. Smith arrived.", "He left."]),
        ("Drinks, e.g. Coffee, spread. Tea too.", ["Drinks, e.g. Coffee, spread.", "Tea too."]),
        ("J. R. R. Tolkien wrote it. Really?", ["J. R. R. Tolkien wrote it.", "Really?"]),
        ("See No. 5 here. The end.", ["See No. 5 here.", "The end."]),
        ("The answer was no. Then we left.", ["The answer was no.", "Then we left."]),
        ('He said "Stop." Then he went.', ['He said "Stop."', "Then he went."]),
        ("It grew in the U.S. during the war. Why?", ["It grew in the U.S. during the war.", "Why?"]),
        ("lower case. after a stop stays joined", ["lower case. after a stop stays joined"]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("total", "count"), [(72, 5), (25, 5), (174, 7), (3, 5), (0, 1), (193, 8)])
def test_scene_budgets_share_the_total_exactly_and_evenly(total, count):
    budgets = scene_budgets(total, count)
    assert len(budgets) == count and sum(budgets) == total
    assert max(budgets) - min(budgets) <= 1
    # What does not divide evenly goes to the opening and closing scenes first (the hook, the call to action).
    assert budgets[0] == budgets[-1] == max(budgets) or total % count == 1


def test_scene_budgets_need_a_scene():
    assert scene_budgets(72, 5) == [15, 14, 14, 14, 15]
    with pytest.raises(BadInput, match="0 scenes"):
        scene_budgets(72, 0)


def test_planned_scene_count_grows_with_duration():
    assert [planned_scene_count(d) for d in (10, 25, 30, 45, 60, 90, 600)] == [5, 5, 5, 6, 7, 8, 8]


PACE = Pace(3.4, 2.0, 0.2)
PROSE = (
    "Honey bees visit thousands of flowers every single day to gather the sweet nectar they need for the "
    "hive."
)
CHOPPY = "Bees fly. They sip. They hum. Cells fill. Wax grows. Honey keeps."


def test_short_sentences_take_longer_than_their_words():
    assert count_words(PROSE) == 19 and count_words(CHOPPY) == 12
    # Prose of 19 words a sentence is spoken at the voice's measured rate.
    assert speaking_time(PROSE, PACE) == pytest.approx(19 / 3.4)
    assert speaking_time(CHOPPY, PACE) > (12 + 2 * 6) / 3.4 * 0.9
    assert speaking_time("", PACE) == 0
    assert narration_time([PROSE, CHOPPY], PACE) == pytest.approx(
        speaking_time(PROSE, PACE) + speaking_time(CHOPPY, PACE) + 0.4
    )


def test_with_a_pace_a_script_of_short_sentences_is_too_long_within_its_words():
    script = _script(*[CHOPPY.replace("Bees", f"Bees {i}") for i in range(5)])
    words = sum(count_words(scene["narration"]) for scene in script["scenes"])
    assert words <= word_limits(25, 3.4)[1]
    assert check_script(script, 25, 3.4)["passed"]
    report = check_script(script, 25, 3.4, pace=PACE)
    [problem] = report["problems"]
    assert problem.startswith(f"too_many_words: {words} words in short sentences take about ")
    fit = int(problem.rsplit("at most ", 1)[1].split()[0])
    assert 0 < fit < words


def test_with_a_pace_prose_within_its_words_passes():
    script = _script(*[PROSE.replace("Honey", f"Honey {i}") for i in range(5)])
    assert check_script(script, 40, 3.0, pace=PACE)["passed"]
