"""Tests for unbreakable word groups: numbers with units, dates, names; and which line endings dangle."""

from __future__ import annotations

import pytest

from tools.text.line_breaks import units
from tools.text.word_groups import unbreakable, weak_ending, word_groups

# (sentence, a group it must keep whole)
GROUPS = [
    ("The bridge is 1,200 km long.", "1,200 km"),
    ("It cost $3.5 million to build.", "$3.5 million"),
    ("It cost $ 3.5 million dollars to build.", "$ 3.5 million dollars"),
    ("Prices rose by 40 % in a year.", "40 %"),
    ("Prices rose by 40 per cent in a year.", "40 per cent"),
    ("The ticket was 39 dollars 99 at the door.", "39 dollars 99"),
    ("Inflation reached 3.5 percent last spring.", "3.5 percent"),
    ("The train runs at 60 km per hour at most.", "60 km per hour"),
    ("Brew for 25 to 30 seconds at most.", "25 to 30 seconds"),
    ("Heat the water to 93 °C first.", "93 °C"),
    ("The town had 1 200 inhabitants.", "1 200"),
    ("About twenty five people came.", "twenty five"),
    ("It opened on 27 May 1937 to traffic.", "27 May 1937"),
    ("It opened on May 27, 1937, to traffic.", "May 27, 1937,"),
    ("Work began on 1 January with a party.", "1 January"),
    ("It was built in the 1930s by hand.", "the 1930s"),
    ("It was finished on the 27th of May in the rain.", "the 27th of May"),
    ("Am 27. Mai 1937 wurde sie eröffnet.", "27. Mai 1937"),
    ("Rome was founded in 753 BC by legend.", "753 BC"),
    ("The Golden Gate Bridge is red.", "Golden Gate Bridge"),
    ("Ada Lovelace wrote the first program.", "Ada Lovelace"),
    ("We met Dr. Smith at the station.", "Dr. Smith"),
    ("They flew to New York City last week.", "New York City"),
    ("The Bank of England sets the rate.", "Bank of England"),
    ("He painted like Leonardo da Vinci did.", "Leonardo da Vinci"),
    ("Apollo 11 landed on the Moon.", "Apollo 11"),
    ("It ended with World War II in Europe.", "World War II"),
    ("蜜蜂在1937年5月27日飞来。", "1937年5月27日"),
]


@pytest.mark.parametrize(("text", "group"), GROUPS)
def test_numbers_dates_and_names_are_one_group(text: str, group: str) -> None:
    assert group in word_groups(text)


def test_the_group_is_exactly_the_number_date_or_name() -> None:
    assert word_groups("The Golden Gate Bridge opened on 27 May 1937.") == [
        "Golden Gate Bridge",
        "27 May 1937.",
    ]
    # "in the 1930s" may break before "in": the preposition only prefers not to end a line.
    assert word_groups("It was built in the 1930s.") == ["the 1930s."]


def test_a_capital_that_only_starts_a_sentence_is_no_name() -> None:
    assert word_groups("Coffee grows on steep hills.") == []
    assert word_groups("In Paris, London and Rome it rains.") == []
    assert word_groups("The bees fly home. Then they rest.") == []
    assert word_groups("Then I went home.") == []


def test_title_case_and_capitals_say_nothing_about_names() -> None:
    assert word_groups("How To Make Perfect Coffee At Home") == []
    assert word_groups("THE BEST COFFEE IN TOWN") == []


def test_a_comma_or_full_stop_ends_a_group() -> None:
    assert word_groups("We visited Paris, France and Rome.") == []
    assert word_groups("It weighs 5. Kilograms are heavy.") == []
    assert word_groups("She saw May. 1937 was a good year.") == []


def test_one_flag_per_unit_and_never_before_the_first() -> None:
    pieces = units("It opened on 27 May 1937 in San Francisco.")
    flags = unbreakable(pieces)
    assert len(flags) == len(pieces) and flags[0] is False
    assert [p.text for p, glued in zip(pieces, flags, strict=True) if glued] == ["May", "1937", "Francisco."]
    assert unbreakable([]) == []


def test_chinese_text_keeps_numbers_with_their_characters_only() -> None:
    assert word_groups("第3章讲蜜蜂。") == ["第3章"]
    assert word_groups("蜜蜂是一种会飞行的群居昆虫。") == []


def test_an_article_dangles_worse_than_a_preposition_or_a_conjunction() -> None:
    assert weak_ending("the") == weak_ending("The") == 1.0
    assert 1.0 > weak_ending("of") > weak_ending("and") > weak_ending("coffee") == 0.0
    assert weak_ending("“the") == 1.0
    assert weak_ending("the,") == 0.0  # a comma ends the clause: nothing dangles
