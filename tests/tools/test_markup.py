"""Markup never reaches a card, and a topic's own characters survive into its title."""

from __future__ import annotations

from pathlib import Path

import pytest

from state.requests import JobRequest, text_problem
from tools.sources import extract_facts, read_source
from tools.text import write_script
from tools.text.markup import strip_markup
from tools.text.topic_phrasing import clean_topic, trim_edges


def _shown(script: dict) -> str:
    """Everything of a script that ends up on screen or in the voice."""
    parts = [script["title"], script["hook"], script["call_to_action"]]
    for scene in script["scenes"]:
        parts += [scene["narration"], scene["on_screen_text"]]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("{\\an8}coffee", "coffee"),
        ("coffee {\\fs40}big", "coffee big"),
        ("{\\an8}{\\pos(10,20)}Top{\\b1}", "Top"),
        ("coffee {\\an8", "coffee"),
        ("<b>coffee</b>", "coffee"),
        ("<script>alert(1)</script> coffee", "coffee"),
        ("<!-- note --> tea", "tea"),
        ("red \x1b[31mwine\x1b[0m", "red wine"),
        ("cof\x00fee", "coffee"),
        ("cof\u00adfee \u202egnp.exe", "coffee gnp.exe"),
        ("vector<int> in C++", "vector<int> in C++"),
        ("x < y and y > z", "x < y and y > z"),
        ("the <script> tag runs code", "the tag runs code"),
    ],
)
def test_strip_markup_removes_whole_tags(raw: str, clean: str) -> None:
    assert " ".join(strip_markup(raw).split()) == clean


def test_strip_markup_keeps_line_breaks_and_tabs() -> None:
    assert strip_markup("line\nbreak\ttab\rreturn") == "line\nbreak\ttab return"


def test_a_stray_override_tag_leaves_no_digit_on_the_cards() -> None:
    """Defect 9.8d: "{\\an8}" used to leave "an8" (and on a card, "8") behind."""
    for topic in ("{\\an8}the history of coffee", "the history of coffee {\\fs40}", "{\\an8"):
        assert "8" not in clean_topic(topic) and "40" not in clean_topic(topic)
    script = write_script("{\\an8}the history of coffee", [], 30, 3.4)
    shown = _shown(script)
    assert "an8" not in shown and "8" not in script["title"] and "\\" not in shown
    assert script["title"].startswith("The history of coffee") or "coffee" in script["title"].lower()


def test_a_path_like_topic_keeps_its_own_characters_in_the_title() -> None:
    """Defect 9.8c: "../../etc/passwd" was titled "/../etc/passwd"."""
    assert clean_topic("../../etc/passwd") == "../../etc/passwd"
    script = write_script("../../etc/passwd", [], 30, 3.4)
    assert script["title"].startswith("../../etc/passwd")
    assert "/../etc/passwd" not in script["title"].replace("../../etc/passwd", "")


@pytest.mark.parametrize(
    ("raw", "trimmed"),
    [
        ("... and then?", "and then"),
        ("...and then?", "and then"),
        ("Coffee!!!", "Coffee"),
        ("!!!wow", "wow"),
        (".NET history", ".NET history"),
        ("-5 degrees", "-5 degrees"),
        ('"Best" coffee', '"Best" coffee'),
        ('a coffee called "joe"', 'a coffee called "joe"'),
        ("\u201cquoted\u201d", "\u201cquoted\u201d"),
        ("x/..", "x/.."),
        ("--", ""),
    ],
)
def test_trim_edges_strips_decoration_only(raw: str, trimmed: str) -> None:
    assert trim_edges(raw) == trimmed


def test_markup_in_a_source_is_gone_before_facts_are_picked(tmp_path: Path) -> None:
    text = (
        "Coffee notes\n\n"
        "{\\an8}Coffee was first brewed in Yemen in the fifteenth century by Sufi monks.\n\n"
        "In 1554 the first coffee houses opened in Istanbul and drew \x1b[1mlarge\x1b[0m crowds.\n\n"
        "Brazil grows about a third of the <b>world's</b> coffee, more than any other country.\n"
    )
    path = tmp_path / "notes.txt"
    path.write_text(text)
    title, body = read_source(path)
    assert "an8" not in body and "\x1b" not in body and "[1m" not in body and "<b>" not in body
    facts = [fact["text"] for fact in extract_facts(title, body, str(path))]
    assert any(fact.startswith("Coffee was first brewed in Yemen") for fact in facts)
    assert any("drew large crowds" in fact for fact in facts)
    assert any("third of the world's coffee" in fact for fact in facts)
    script = write_script("coffee", extract_facts(title, body, str(path)), 30, 3.4)
    assert "an8" not in _shown(script) and "\\" not in _shown(script)


def test_a_source_heading_loses_its_markup(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# {\\an8}Coffee <em>history</em>\n\nCoffee was first brewed in Yemen by Sufi monks.\n")
    title, _ = read_source(path)
    assert title == "Coffee history"


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ("<b>coffee</b>", "holds markup (<b>)"),
        ("<script>alert(1)</script>", "holds markup (<script>)"),
        ("{\\an8}coffee", "holds markup ({\\an8})"),
        ("coffee\x1b[31m", "holds a control character (U+001B)"),
        ("coffee\u202e", "bidirectional control (U+202E)"),
    ],
)
def test_a_topic_with_markup_or_controls_is_refused(topic: str, problem: str) -> None:
    assert problem in (text_problem(topic) or "")
    with pytest.raises(ValueError, match="the topic holds"):
        JobRequest(topic=topic)


@pytest.mark.parametrize(
    "topic",
    [
        "vector<int> in C++",
        "x < y",
        "\u5496\u5561\u7684\u5386\u53f2",
        "coffee \u2615",
        "\u05e9\u05dc\u05d5\u05dd\u200f",
    ],
)
def test_plain_topics_are_accepted(topic: str) -> None:
    assert text_problem(topic) is None
    JobRequest(topic=topic)
