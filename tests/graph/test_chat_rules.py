"""The chat's rule parser on many phrasings: each line's intent and fields, the topic a make line leaves
for the planner, and the one line said for what it does not understand."""

from __future__ import annotations

from typing import Any

import pytest

from agents.planning import parse_request
from graph.chat.rules import CAN_DO, INTENTS, is_start_over, make_fields, not_understood, parse

# (line, intent, fields that must be there with these values)
PHRASINGS: list[tuple[str, str, dict[str, Any]]] = [
    # making a video, with its parameters in plain words
    ("make a 20 second video about tea", "make", {}),
    ("create a 45-second square video about the history of coffee", "make", {}),
    (
        "make a video about bees, 30 seconds, square, in Spanish, publish to WordPress",
        "make",
        {"lang": "es", "targets": ["wordpress"]},
    ),
    (
        "30 seconds, square, in Spanish, publish to WordPress",
        "make",
        {"lang": "es", "targets": ["wordpress"]},
    ),
    ("video about volcanoes please", "make", {}),
    ("I want a video on black holes", "make", {}),
    ("can you make a reel about sourdough bread", "make", {}),
    (
        "make a landscape video about Rome with photos, let me review the script",
        "make",
        {"gates": ["script"]},
    ),
    ("make a video about tea and let me review the script first", "make", {"gates": ["script"]}),
    ("make a video about tea for YouTube", "make", {"targets": ["youtube"]}),
    (
        "make a one minute video about jazz with the espeak voice in the calm style",
        "make",
        {"voice": "espeak", "style": "calm"},
    ),
    ("make a quick preview video about tea", "make", {"preview": True}),
    ("please make a video about life in France", "make", {}),
    (
        "make a video about tea in French and post it on Instagram and YouTube",
        "make",
        {"lang": "fr", "targets": ["instagram", "youtube"]},
    ),
    ("make a video about the cost of living", "make", {}),
    ("make a 10 second video about tea without review", "make", {"review": False}),
    ("make a video about owls, ask me before publishing", "make", {"gates": ["publish"]}),
    ("do a short video about penguins", "make", {}),
    ("make a video about tea with the robotic voice", "make", {"voice": "espeak"}),
    ("make a video about tea, publish it to the gallery", "make", {"targets": ["gallery"]}),
    # provider status
    ("status", "status", {}),
    ("which models are up?", "status", {}),
    ("is ollama running?", "status", {}),
    ("what mode are we in", "status", {}),
    # costs
    ("what did this week cost?", "costs", {"since": "7d"}),
    ("costs today", "costs", {"since": "today"}),
    ("how much did I spend this month?", "costs", {"since": "30d"}),
    ("costs for the last 3 days", "costs", {"since": "3d"}),
    ("what did that cost?", "costs", {"run_id": "last"}),
    ("how much did run tea-68d906 cost", "costs", {"run_id": "tea-68d906"}),
    ("costs by day this week", "costs", {"since": "7d", "by": "day"}),
    ("how much have I spent in total", "costs", {"since": "3650d"}),
    # listing, showing, following and resuming runs
    ("list runs", "list", {}),
    ("show my runs", "list", {}),
    ("list failed runs", "list", {"status": "failed"}),
    ("show the last 5 videos", "list", {"limit": 5}),
    ("what runs are waiting?", "list", {"status": "waiting"}),
    ("show run tea-68d906", "show", {"run_id": "tea-68d906"}),
    ("show it", "show", {}),
    ("tea-68d906", "show", {"run_id": "tea-68d906"}),
    ("what's the status of tea-68d906", "show", {"run_id": "tea-68d906"}),
    ("follow tea-68d906", "follow", {"run_id": "tea-68d906"}),
    ("follow it", "follow", {}),
    ("how is my video going?", "follow", {}),
    ("resume", "resume", {}),
    ("resume tea-68d906", "resume", {"run_id": "tea-68d906"}),
    ("continue the run", "resume", {}),
    # answering a waiting script
    ("approve", "approve", {}),
    ("approve it", "approve", {}),
    ("approve tea-68d906", "approve", {"run_id": "tea-68d906"}),
    ("reject", "reject", {"reason": ""}),
    ("reject: too long", "reject", {"reason": "too long"}),
    (
        "reject tea-68d906 because the tone is off",
        "reject",
        {"reason": "the tone is off", "run_id": "tea-68d906"},
    ),
    (
        "change scene 2 to say Tea is older than paper.",
        "edit",
        {"scene": 2, "narration": "Tea is older than paper."},
    ),
    ("edit scene 3: Bees dance.", "edit", {"scene": 3, "narration": "Bees dance."}),
    ('scene 1 should say "Hello there"', "edit", {"scene": 1, "narration": "Hello there"}),
    ("make scene 4 say goodbye", "edit", {"scene": 4, "narration": "goodbye"}),
    (
        "change the second scene to Tea came from China.",
        "edit",
        {"scene": 2, "narration": "Tea came from China."},
    ),
    # one scene again
    ("redo scene 2", "regenerate", {"scene": 2}),
    ("regenerate scene 3 with a picture of a teapot", "regenerate", {"scene": 3, "visual": "a teapot"}),
    ("remake scene 1 saying Tea is great", "regenerate", {"scene": 1, "narration": "Tea is great"}),
    ("change scene 2 to show a teapot", "regenerate", {"scene": 2, "visual": "a teapot"}),
    ("scene three again", "regenerate", {"scene": 3}),
    ("redo the last scene of tea-68d906", "regenerate", {"scene": -1, "run_id": "tea-68d906"}),
    # the conversation itself
    ("help", "help", {}),
    ("what can you do?", "help", {}),
    ("start over", "start_over", {}),
    ("new conversation", "start_over", {}),
    ("hello there", "unknown", {}),
    ("banana", "unknown", {}),
]


@pytest.mark.parametrize(("line", "intent", "fields"), PHRASINGS, ids=[p[0][:40] for p in PHRASINGS])
def test_each_phrasing_is_read(line: str, intent: str, fields: dict[str, Any]) -> None:
    found = parse(line)
    assert found.name == intent
    assert found.name in INTENTS
    for key, value in fields.items():
        assert found.fields.get(key) == value, (key, found.fields)


def test_at_least_forty_phrasings_cover_every_intent() -> None:
    assert len(PHRASINGS) >= 40
    assert {intent for _, intent, _ in PHRASINGS} == set(INTENTS)


# (line, topic, duration, aspect, visuals) as the planner reads what the rules leave of a make line
TOPICS = [
    ("make a 20 second video about tea", "tea", 20, "9:16", "auto"),
    (
        "create a 45-second square video about the history of coffee",
        "the history of coffee",
        45,
        "1:1",
        "auto",
    ),
    (
        "make a video about bees, 30 seconds, square, in Spanish, publish to WordPress",
        "bees",
        30,
        "1:1",
        "auto",
    ),
    ("I want a video on black holes", "black holes", 60, "9:16", "auto"),
    ("can you make a reel about sourdough bread", "sourdough bread", 60, "9:16", "auto"),
    ("make a landscape video about Rome with photos, let me review the script", "Rome", 60, "16:9", "photos"),
    (
        "make a one minute video about jazz with the espeak voice in the calm style",
        "jazz",
        60,
        "9:16",
        "auto",
    ),
    ("please make a video about life in France", "life in France", 60, "9:16", "auto"),
    ("make a video about tea in French and post it on Instagram and YouTube", "tea", 60, "9:16", "auto"),
    ("video about volcanoes please", "volcanoes", 60, "9:16", "auto"),
    ("do a short video about penguins", "penguins", 60, "9:16", "auto"),
]


@pytest.mark.parametrize(
    ("line", "topic", "duration", "aspect", "visuals"), TOPICS, ids=[t[0][:40] for t in TOPICS]
)
def test_a_make_line_leaves_the_planner_a_clean_topic(
    line: str, topic: str, duration: int, aspect: str, visuals: str
) -> None:
    job = parse_request(make_fields(line)["request"])
    assert (job["topic"], job["duration_s"], job["aspect"], job.get("visuals")) == (
        topic,
        duration,
        aspect,
        visuals,
    )


def test_yes_and_no_answer_only_a_waiting_gate() -> None:
    assert parse("yes", awaiting="script").name == "approve"
    assert parse("looks good", awaiting="publish").name == "approve"
    assert parse("no, it's boring", awaiting="script").fields == {"reason": "it's boring"}
    assert parse("no, it's boring", awaiting="script").name == "reject"
    assert parse("yes").name == "unknown"
    assert parse("no").name == "unknown"


def test_a_line_not_understood_is_named_in_one_line_with_what_the_chat_can_do() -> None:
    said = not_understood("please  juggle\nthe oranges")
    assert said.startswith("I did not understand 'please juggle the oranges'.")
    assert "\n" not in said
    assert said.endswith(CAN_DO)
    for example in ("make a", "status", "what did this week cost?", "list", "approve", "redo scene 2"):
        assert example in said
    long = not_understood("x" * 200)
    assert len(long) < 200 + len(CAN_DO) and "\u2026" in long


def test_start_over_is_a_line_of_its_own() -> None:
    assert is_start_over("Start over!")
    assert not is_start_over("start over the video about tea")
