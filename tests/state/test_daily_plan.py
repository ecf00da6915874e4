"""The daily plan's shapes: defaults, and every check an item or the plan can fail."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from state.daily_plan import DEFAULT_TIME, DailyItem, DailyPlan, check_cron
from state.requests import JobRequest, first_problem


def plan(*items: dict[str, Any], **fields: Any) -> DailyPlan:
    return DailyPlan.model_validate({**fields, "items": list(items)})


def error_of(data: dict[str, Any]) -> tuple[tuple[str | int, ...], str, str]:
    with pytest.raises(ValidationError) as caught:
        DailyPlan.model_validate(data)
    first = caught.value.errors()[0]
    return tuple(first["loc"]), first["type"], first_problem(caught.value)[1]


def test_defaults():
    daily = plan({"topic": "The history of coffee"})
    assert (daily.time, daily.health_every_s) == (DEFAULT_TIME, 60) == ("0 6 * * *", 60)
    (item,) = daily.items
    assert item.slug == "the-history-of-coffee"
    assert (item.duration_s, item.aspect, item.voice, item.style, item.lang) == (
        60,
        "9:16",
        "joe",
        "bold",
        "en",
    )
    assert (item.targets, item.model, item.preview, item.sources, item.music) == (
        ["gallery"],
        "default",
        False,
        [],
        None,
    )


def test_item_reads_toml_keys_and_becomes_the_same_job_as_make():
    item = DailyItem.model_validate(
        {"topic": "how  bees dance", "duration": 10, "voice": "espeak", "preview": True, "aspect": "1:1"}
    )
    made = JobRequest(topic="how  bees dance", duration_s=10, voice="espeak", preview=True, aspect="1:1")
    assert item.to_job() == made.to_job()
    assert item.slug == "how-bees-dance"


def test_a_source_alone_names_the_topic_and_slug():
    item = DailyItem.model_validate({"source": "notes/Coffee_Notes.md"})
    assert item.sources == [{"kind": "file", "ref": "notes/Coffee_Notes.md"}]
    assert (item.topic, item.slug) == ("Coffee Notes", "coffee-notes")
    both = DailyItem.model_validate({"topic": "Coffee", "sources": ["a.md", "b.txt"], "slug": "beans"})
    files = [{"kind": "file", "ref": "a.md"}, {"kind": "file", "ref": "b.txt"}]
    assert (both.topic, both.slug, both.sources) == ("Coffee", "beans", files)


def test_cron_is_normalised_and_any_valid_expression_passes():
    assert plan({"topic": "x"}, time="30  5 * *  1-5").time == "30 5 * * 1-5"
    for expression in ("*/15 * * * *", "0 6 1 1 *", "0 6 * * mon", "0 0,12 * 1-6 *"):
        assert check_cron(expression) == expression


@pytest.mark.parametrize(
    ("data", "loc", "needle"),
    [
        ({"items": [{"topic": "x", "durration": 10}]}, ("items", 0, "durration"), "is not a field"),
        ({"items": [{"topic": "x", "duration_s": 10}]}, ("items", 0, "duration_s"), "is not a field"),
        ({"tme": "0 6 * * *", "items": [{"topic": "x"}]}, ("tme",), "is not a field"),
        ({"time": "0 6 * *", "items": [{"topic": "x"}]}, ("time",), "has 4 fields"),
        ({"time": "0 25 * * *", "items": [{"topic": "x"}]}, ("time",), "bad hour field '25'"),
        ({"time": "61 6 * * *", "items": [{"topic": "x"}]}, ("time",), "bad minute field '61'"),
        ({"time": "0 6 * 13 *", "items": [{"topic": "x"}]}, ("time",), "bad month field '13'"),
        ({"time": "0 6 * * funday", "items": [{"topic": "x"}]}, ("time",), "bad day of week field 'funday'"),
        ({"time": "*/0 * * * *", "items": [{"topic": "x"}]}, ("time",), "bad minute field '*/0'"),
        (
            {"items": [{"topic": "Coffee"}, {"topic": "coffee!"}]},
            ("items",),
            "two items have the slug 'coffee'",
        ),
        (
            {"items": [{"topic": "a", "slug": "s"}, {"topic": "b", "slug": "s"}]},
            ("items",),
            "two items have the slug 's'",
        ),
        ({"items": [{"duration": 10}]}, ("items", 0), "needs a topic or a source"),
        ({"items": [{"topic": "x", "duration": 5}]}, ("items", 0, "duration"), "use 10 to 600 seconds"),
        ({"items": [{"topic": "x", "duration": 601}]}, ("items", 0, "duration"), "use 10 to 600 seconds"),
        ({"items": [{"topic": "x", "aspect": "4:3"}]}, ("items", 0, "aspect"), "unknown aspect '4:3'"),
        ({"items": [{"topic": "x", "voice": "bob"}]}, ("items", 0, "voice"), "unknown voice 'bob'"),
        ({"items": [{"topic": "x", "gates": ["thumbnail"]}]}, ("items", 0, "gates"), "unknown gate"),
        (
            {"items": [{"topic": "x", "targets": ["tiktok"]}]},
            ("items", 0, "targets"),
            "unknown publish target",
        ),
        ({"items": [{"topic": "x", "slug": "Bad Slug"}]}, ("items", 0, "slug"), 'slug = "bad-slug"'),
        ({"items": [{"topic": "x", "slug": "a:b"}]}, ("items", 0, "slug"), "lower-case letters"),
        ({"items": [{"topic": "x", "source": "a.md", "sources": ["b.md"]}]}, ("items", 0), "either source"),
        ({"items": [{"topic": "   "}]}, ("items", 0, "topic"), "topic is empty"),
        ({"items": []}, ("items",), "has no items"),
        ({}, ("items",), "has no items"),
        ({"health_every_s": 0, "items": [{"topic": "x"}]}, ("health_every_s",), "between 1 and 86400"),
    ],
)
def test_every_check(data, loc, needle):
    got_loc, _, message = error_of(data)
    assert got_loc == loc
    assert needle in message, message


def test_item_checks_are_makes_checks():
    # The same words as `reelforge make --duration 5`, because they come from the same validator;
    # each door then names the field its own way (a flag, a key).
    _, _, message = error_of({"items": [{"topic": "x", "duration": 5}]})
    with pytest.raises(ValidationError) as made:
        JobRequest(topic="x", duration_s=5)
    assert message == first_problem(made.value)[1]


def test_models_are_frozen():
    daily = plan({"topic": "x"})
    with pytest.raises(ValidationError):
        daily.items[0].slug = "y"  # type: ignore[misc]
