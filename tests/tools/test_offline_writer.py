"""The offline writer: honest outlines without facts, verbatim facts with them, and repair of bad scripts."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from state import Fact, SceneSpec, Script
from tools.errors import BadInput
from tools.sources import extract_facts, read_source
from tools.text import WRITER, check_script, count_words, revise_script, split_sentences, write_script
from tools.text.quality import problem_code, scene_budgets, word_limits

# The two real voices speak 3.3-3.4 words a second; 2.5 is a slow voice.
RATES = (2.5, 3.4)
DURATIONS = (10, 30, 60, 120, 600)


def _assert_well_formed(script: Script, duration: int, rate: float) -> None:
    scenes = script["scenes"]
    assert 5 <= len(scenes) <= 8
    assert [scene["index"] for scene in scenes] == list(range(1, len(scenes) + 1))
    assert scenes[0]["narration"].startswith(script["hook"])
    assert scenes[-1]["narration"].endswith(script["call_to_action"])
    words = sum(count_words(scene["narration"]) for scene in scenes)
    assert words <= duration * rate
    narrations = [scene["narration"].lower() for scene in scenes]
    headlines = [scene["on_screen_text"].lower() for scene in scenes]
    assert len(set(narrations)) == len(narrations)
    assert len(set(headlines)) == len(headlines)
    for scene in scenes:
        assert scene["narration"].strip()
        assert 1 <= len(scene["on_screen_text"].split()) <= 6 and len(scene["on_screen_text"]) <= 40
        assert scene["visual"]
    assert len(script["title"]) <= 70
    assert 5 <= len(script["tags"]) <= 10
    assert all(tag == tag.lower() and "#" not in tag and tag.strip() for tag in script["tags"])
    assert script["writer"] == WRITER


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("duration", DURATIONS)
def test_topic_only_script_is_an_honest_outline_that_fits(duration, rate):
    script = write_script("the history of coffee", [], duration, rate)
    _assert_well_formed(script, duration, rate)
    report = check_script(script, duration, rate)
    assert report["passed"], report["problems"]
    assert report["words"] <= duration * rate * 0.95
    for scene in script["scenes"]:
        assert not re.search(r"\d", scene["narration"]), scene["narration"]
        assert scene["sources"] == []
    assert script["citations"] == []
    assert "offline outline without sourced facts" in script["description"]


def test_scene_count_grows_with_duration():
    counts = [
        len(write_script("jazz", [], duration, 3.4)["scenes"]) for duration in (10, 30, 45, 60, 90, 600)
    ]
    assert counts[0] == counts[1] == 5
    assert counts == sorted(counts)
    assert counts[-2] == counts[-1] == 8


def test_words_track_the_budget():
    for duration in (30, 60, 120):
        words = check_script(write_script("jazz", [], duration, 3.4), duration, 3.4)["words"]
        # Close to 85 % of what the voice can say, never over it.
        assert duration * 3.4 * 0.6 <= words <= duration * 3.4 * 0.85


@pytest.mark.parametrize("rate", [3.06, 3.4])
@pytest.mark.parametrize("duration", [30, 45, 60, 120])
def test_scenes_grow_within_the_budgets_a_model_is_given(duration, rate):
    """The offline writer gets the scene budgets a model's prompt states. It grows a scene a whole sentence
    at a time, so a scene passes its budget only when no scene can grow within its own, and then by less
    than one of its longer lines."""
    script = write_script("the history of coffee", [], duration, rate)
    budgets = scene_budgets(word_limits(duration, rate)[1], len(script["scenes"]))
    words = [count_words(scene["narration"]) for scene in script["scenes"]]
    assert sum(words) <= sum(budgets)
    assert all(count <= budget + 8 for count, budget in zip(words, budgets, strict=True)), (words, budgets)


def test_deterministic_and_varied_by_topic():
    first = write_script("the roman empire", [], 45, 3.4)
    assert write_script("the roman empire", [], 45, 3.4) == first
    topics = [
        "the roman empire",
        "black holes",
        "how bees make honey",
        "jazz",
        "sourdough bread",
        "volcanoes",
    ]
    scripts = [write_script(topic, [], 45, 3.4) for topic in topics]
    hooks = {
        re.sub(re.escape(topic), "X", script["hook"], flags=re.I)
        for topic, script in zip(topics, scripts, strict=True)
    }
    assert len(hooks) >= 2
    bodies = {
        tuple(scene["narration"].lower().replace(topic, "X") for scene in script["scenes"][1:])
        for topic, script in zip(topics, scripts, strict=True)
    }
    assert len(bodies) == len(topics)


@pytest.mark.parametrize(
    "topic",
    [
        "\U0001f680 SpaceX & the race to Mars!!! \U0001f525\U0001f525",
        "#coffee #history",
        'The "best" coffee in the world',
        "Why do cats purr? " * 27,
        "x" * 500,
    ],
)
def test_odd_topics(topic):
    for duration in (10, 60):
        script = write_script(topic, [], duration, 3.4)
        _assert_well_formed(script, duration, 3.4)
        assert check_script(script, duration, 3.4)["passed"]
        text = script["title"] + " ".join(scene["narration"] for scene in script["scenes"])
        assert not re.search("[\U0001f300-\U0001faff#]", text)


def test_a_long_topic_gets_a_short_title():
    script = write_script("A very long topic about " + "the many trade routes of coffee " * 20, [], 30, 3.4)
    assert len(script["title"]) <= 70


def test_empty_topic_is_bad_input():
    with pytest.raises(BadInput, match="topic is empty"):
        write_script("  ", [], 30, 3.4)


MARKDOWN = """# Coffee, a short history

Coffee was first cultivated in Yemen in the 15th century, according to most historians.
Legend says a goatherd named Kaldi noticed his goats dancing after eating coffee berries in Ethiopia.

## Spread

By 1554, the first coffee houses had opened in Istanbul and drew large crowds of customers.
Dr. Rauwolf described the drink in 1582 after travelling through the Ottoman Empire for three years.
Today Brazil produces about 3.5 million tonnes of coffee per year, more than any other country.
"""

HTML = """<html><head><title>Coffee in Europe</title></head><body><nav>Home | About us | Contact</nav>
<article><h1>Coffee in Europe</h1>
<p>Venetian merchants brought coffee to Europe in 1615, and a coffee house opened in Venice in 1645.</p>
<p>In London, coffee houses were nicknamed "penny universities" because a cup cost one penny.</p>
<p>By 1700 there were more than 2,000 coffee houses in London, according to later estimates.</p>
</article></body></html>
"""


@pytest.fixture
def sourced(tmp_path: Path) -> tuple[list[Fact], dict[str, str]]:
    facts: list[Fact] = []
    texts: dict[str, str] = {}
    for name, content in (("coffee.md", MARKDOWN), ("europe.html", HTML)):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        title, text = read_source(path)
        texts[str(path)] = " ".join(text.split())
        facts += extract_facts(title, text, str(path))
    return facts, texts


@pytest.mark.parametrize("duration", [30, 60, 90])
def test_facts_are_quoted_verbatim_and_cited(sourced, duration):
    facts, texts = sourced
    script = write_script("the history of coffee", facts, duration, 3.4)
    _assert_well_formed(script, duration, 3.4)
    assert check_script(script, duration, 3.4)["passed"]

    used = 0
    for position, scene in enumerate(script["scenes"]):
        sentences = split_sentences(scene["narration"])
        if position == 0:
            sentences = sentences[len(split_sentences(script["hook"])) :]
        if position == len(script["scenes"]) - 1:
            sentences = sentences[: len(sentences) - len(split_sentences(script["call_to_action"]))]
        if not scene["sources"]:
            # A guidance scene asserts nothing: no numbers, no dates.
            assert not re.search(r"\d", scene["narration"])
            continue
        for sentence in sentences:
            assert any(sentence in texts[source] for source in scene["sources"]), sentence
            used += 1
    assert used >= 2

    for fact in facts:
        if any(fact["text"] in scene["narration"] for scene in script["scenes"]):
            assert fact["text"] in texts[fact["source"]]
            assert any(fact["source"] in scene["sources"] for scene in script["scenes"])

    cited = list(dict.fromkeys(source for scene in script["scenes"] for source in scene["sources"]))
    assert [citation["source"] for citation in script["citations"]] == cited
    assert {citation["title"] for citation in script["citations"]} <= {"coffee.md", "europe.html"}
    assert "Sources:" in script["description"]


def test_fact_scenes_show_numbers_as_data_cards(sourced):
    facts, _ = sourced
    script = write_script("the history of coffee", facts, 90, 3.4)
    data = [scene for scene in script["scenes"] if scene["visual"].startswith("Data card:")]
    assert data
    assert all(re.search(r"\d", scene["on_screen_text"]) for scene in data)
    assert len(script["citations"]) == 2
    assert {"yemen", "istanbul"} & set(script["tags"])


def test_source_titles_name_the_citations(sourced):
    facts, texts = sourced
    titles = {source: f"Title of {Path(source).stem}" for source in texts}
    script = write_script("coffee", facts, 60, 3.4, source_titles=titles)
    assert {citation["title"] for citation in script["citations"]} <= set(titles.values())


def test_many_long_facts_stay_within_budget():
    facts: list[Fact] = [
        {
            "text": f"Fact {n} says that shipment {n} of beans reached the harbour after a long voyage.",
            "source": f"s{n % 3}.txt",
        }
        for n in range(60)
    ]
    for duration in (20, 30, 60):
        script = write_script("coffee shipping", facts, duration, 3.4)
        _assert_well_formed(script, duration, 3.4)
        assert check_script(script, duration, 3.4)["passed"]


def test_facts_with_quotes_and_without_final_stops():
    facts: list[Fact] = [
        {"text": 'Voltaire reportedly said "coffee is a slow poison" and kept drinking it.', "source": "q"},
        {"text": "The word coffee entered English in 1582 via the Dutch word koffie", "source": "q"},
    ]
    script = write_script("coffee quotes", facts, 30, 3.4)
    narration = " ".join(scene["narration"] for scene in script["scenes"])
    assert 'Voltaire reportedly said "coffee is a slow poison" and kept drinking it.' in narration
    assert "via the Dutch word koffie." in narration
    assert check_script(script, 30, 3.4)["passed"]


def test_feedback_about_length_makes_a_shorter_script():
    plain = write_script("jazz", [], 60, 3.4)
    words = check_script(plain, 60, 3.4)["words"]
    shorter = write_script(
        "jazz", [], 60, 3.4, feedback=["too_many_words: 300 words for 60 s; at most 193 fit"]
    )
    assert check_script(shorter, 60, 3.4)["words"] < words
    assert check_script(shorter, 60, 3.4)["passed"]


def _scene(index: int, narration: str, headline: str, sources: list[str] | None = None) -> SceneSpec:
    return {
        "index": index,
        "narration": narration,
        "on_screen_text": headline,
        "visual": "v",
        "sources": sources or [],
    }


HOOK = "Why does coffee matter?"
CTA = "Follow for more."
LONDON = "Coffee houses in London were places where merchants and writers met to trade news and argue."
BRAZIL = "Brazil grows the most coffee today, about 3.5 million tonnes a year."


def _bad_script(scenes: list[SceneSpec]) -> Script:
    return {
        "title": "Coffee",
        "hook": HOOK,
        "scenes": scenes,
        "call_to_action": CTA,
        "description": "",
        "tags": [],
        "citations": [{"source": "a.md", "title": "a.md"}, {"source": "b.md", "title": "b.md"}],
        "writer": "someone-else",
    }


def _repair(script: Script, duration: int, rate: float) -> tuple[Script, int]:
    for attempt in range(1, 3):
        report = check_script(script, duration, rate)
        script = revise_script(script, report["problems"], duration, rate)
        if check_script(script, duration, rate)["passed"]:
            return script, attempt
    return script, 99


def test_revise_fixes_duplicates_empty_scenes_and_too_many_words():
    scenes = [
        _scene(1, f"{HOOK} {LONDON} {LONDON} {LONDON}", "Coffee", ["a.md"]),
        _scene(2, f"{LONDON} {BRAZIL}", "Brazil", ["b.md"]),
        _scene(3, "", "Empty"),
        _scene(4, f"{LONDON} {BRAZIL}", "Brazil again", ["b.md"]),
        _scene(5, "Roasting brings out the flavour in the beans during a few minutes of heat.", "Roast"),
        _scene(6, f"Some say the beans taste best when ground fresh each morning. {CTA}", "Brazil"),
    ]
    bad = _bad_script(scenes)
    report = check_script(bad, 30, 2.5)
    assert {problem_code(p) for p in report["problems"]} == {
        "empty_scene",
        "duplicate_scene",
        "too_many_words",
    }

    fixed, attempts = _repair(copy.deepcopy(bad), 30, 2.5)
    assert attempts <= 2
    _assert_revised(fixed)
    narrations = [scene["narration"] for scene in fixed["scenes"]]
    # The good scene survives untouched.
    assert "Roasting brings out the flavour in the beans during a few minutes of heat." in narrations
    assert fixed["writer"] == "someone-else"


def _assert_revised(script: Script) -> None:
    scenes = script["scenes"]
    assert [scene["index"] for scene in scenes] == list(range(1, len(scenes) + 1))
    assert scenes[0]["narration"].startswith(HOOK)
    assert scenes[-1]["narration"].endswith(CTA)
    assert all(scene["narration"].strip() for scene in scenes)


def test_revise_splits_too_few_scenes():
    scenes = [
        _scene(1, f"{HOOK} {LONDON} Beans are roasted before brewing.", "Coffee"),
        _scene(2, f"{BRAZIL} Vietnam comes second in output.", "Growers"),
        _scene(3, f"Espresso uses pressure to brew fast. {CTA}", "Espresso"),
    ]
    bad = _bad_script(scenes)
    assert "too_few_scenes: 3 scenes; at least 5" in check_script(bad, 30, 2.5)["problems"]
    fixed, attempts = _repair(bad, 30, 2.5)
    assert attempts <= 2
    _assert_revised(fixed)
    before = split_sentences(" ".join(scene["narration"] for scene in scenes))
    after = split_sentences(" ".join(scene["narration"] for scene in fixed["scenes"]))
    assert after == before


def test_revise_adds_claim_free_scenes_when_nothing_can_split():
    scenes = [_scene(1, HOOK, "Why"), _scene(2, f"{BRAZIL} {CTA}", "Brazil")]
    fixed, attempts = _repair(_bad_script(scenes), 20, 3.4)
    assert attempts <= 2
    _assert_revised(fixed)
    added = [scene for scene in fixed["scenes"] if scene["narration"] not in (HOOK, f"{BRAZIL} {CTA}")]
    assert added and not any(re.search(r"\d", scene["narration"]) for scene in added)


def test_revise_merges_too_many_scenes_without_losing_words():
    words = "one two three four five six seven eight nine ten".split()
    scenes = [
        _scene(i, f"Line {word} tells part {word} of the coffee story.", f"Part {word}")
        for i, word in enumerate(words, start=1)
    ]
    scenes[0]["narration"] = f"{HOOK} {scenes[0]['narration']}"
    scenes[-1]["narration"] += f" {CTA}"
    bad = _bad_script(scenes)
    assert "too_many_scenes: 10 scenes; at most 8" in check_script(bad, 60, 3.4)["problems"]
    fixed, attempts = _repair(bad, 60, 3.4)
    assert attempts == 1
    assert len(fixed["scenes"]) == 8
    _assert_revised(fixed)
    joined = " ".join(scene["narration"] for scene in fixed["scenes"])
    assert joined == " ".join(scene["narration"] for scene in scenes)


def test_revise_repairs_a_damaged_offline_script():
    good = write_script("how bees make honey", [], 20, 3.3)
    scenes = good["scenes"]
    damaged = [dict(scenes[0]), dict(scenes[1]), dict(scenes[1]), {**scenes[2], "narration": ""}]
    for index, scene in enumerate(damaged, start=1):
        scene["index"] = index
    bad: Script = {**good, "scenes": damaged}  # type: ignore[typeddict-item]
    assert not check_script(bad, 20, 3.3)["passed"]
    fixed, attempts = _repair(bad, 20, 3.3)
    assert attempts <= 2
    assert fixed["scenes"][0] == scenes[0]


def test_revise_leaves_a_good_script_alone():
    good = write_script("volcanoes", [], 45, 3.4)
    assert revise_script(good, [], 45, 3.4) == good


def test_revise_drops_citations_of_sources_no_scene_uses():
    scenes = [
        _scene(1, f"{HOOK} {LONDON}", "London", ["a.md"]),
        _scene(2, f"{LONDON}", "London again", ["b.md"]),
        _scene(3, "Beans are roasted before they are ground and brewed.", "Roasting"),
        _scene(4, "Espresso uses pressure to brew a small strong cup.", "Espresso"),
        _scene(5, f"Milk softens the bitterness of a strong brew. {CTA}", "Milk"),
    ]
    fixed = revise_script(_bad_script(scenes), ["duplicate_scene: scene 2 repeats scene 1"], 30, 3.4)
    assert [citation["source"] for citation in fixed["citations"]] == ["a.md"]


def test_problem_limits_override_the_defaults():
    script = write_script("jazz", [], 60, 3.4)
    _, most = word_limits(60, 3.4)
    fixed = revise_script(script, ["too_many_words: 170 words for 60 s; at most 120 fit"], 60, 3.4)
    assert check_script(fixed, 60, 3.4)["words"] <= 120 < most
    assert len(fixed["scenes"]) == len(script["scenes"])
