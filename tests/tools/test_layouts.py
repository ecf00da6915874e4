"""Card layouts follow the words: a figure, a list, a quotation, a statement, or a pictogram and headline."""

from __future__ import annotations

import pytest

from tools.images.layouts import choose_layout, list_items, quoted


@pytest.mark.parametrize(
    ("kind", "text", "layout"),
    [
        ("title", "The history of coffee", "title"),
        ("data", "Opened on 27 May 1937", "data"),
        ("data", "H.264 and AAC", "pictogram"),  # no figure: drawn as a scene card
        ("scene", "Coffee, tea and cocoa", "list"),
        ("scene", "Define, trace, check.", "list"),
        ("scene", "What bees collect: pollen; nectar; water; resin", "list"),
        ("scene", "\u201cNo bees, no food.\u201d", "quote"),
        ("scene", '"Coffee is a slow poison"', "quote"),
        ("scene", "A single hive can hold sixty thousand bees in summer", "statement"),
        ("scene", "Who really invented the telephone?", "statement"),
        ("scene", "Coffee reaches Europe", "pictogram"),
        ("scene", "Salt and pepper", "pictogram"),
        ("scene", "Paris, Texas", "pictogram"),
        ("scene", "蜜蜂如何酿造蜂蜜", "pictogram"),
    ],
)
def test_layout_is_chosen_from_the_words(kind: str, text: str, layout: str) -> None:
    assert choose_layout(kind, text).name == layout


def test_a_data_layout_carries_its_figure_and_a_hint_for_the_pictogram() -> None:
    layout = choose_layout("data", "Opened on 27 May 1937")
    assert layout.figure is not None and layout.figure.value == "27 May 1937"
    assert layout.hint == "calendar" and layout.fallback == "data"


@pytest.mark.parametrize(
    ("text", "heading", "items"),
    [
        ("Coffee, tea and cocoa", "", ("Coffee", "Tea", "Cocoa")),
        ("Three crops: coffee, tea, or cocoa.", "Three crops", ("Coffee", "Tea", "Cocoa")),
        ("Pollen \u2022 nectar \u2022 water \u2022 resin", "", ("Pollen", "Nectar", "Water", "Resin")),
    ],
)
def test_list_items(text: str, heading: str, items: tuple[str, ...]) -> None:
    assert list_items(text) == (heading, items)


@pytest.mark.parametrize(
    "text",
    [
        "Coffee and tea",  # two items are a phrase, not a list
        "1,280 metres, 4,200 feet",  # two items
        "One, two, three, four, five, six, seven",  # too many to read as a list
        "It began in Yemen, spread to Mecca, and reached the coffee houses of Istanbul by then",  # clauses
    ],
)
def test_not_lists(text: str) -> None:
    assert list_items(text) is None


def test_quoted_needs_the_whole_text_in_quotes() -> None:
    assert quoted("\u201cNo bees, no food.\u201d") == "No bees, no food."
    assert quoted("\u201cNo bees\u201d, said the keeper, \u201cno food\u201d") == ""
    assert quoted("No quotes here") == ""
