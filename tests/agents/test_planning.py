"""plan_request's rule parser turns chat lines into JobSpecs."""

import pytest
from pydantic import ValidationError

from agents import parse_request
from agents.planning import parse_fields


@pytest.mark.parametrize(
    ("line", "topic", "duration", "aspect"),
    [
        ("make a video about the history of coffee", "the history of coffee", 60, "9:16"),
        ("make a 45-second video about tea for YouTube and WordPress", "tea", 45, "9:16"),
        ("create a 2 minute landscape video on volcanoes", "volcanoes", 120, "16:9"),
        ("please make a square 30s reel about bees", "bees", 30, "1:1"),
        ("the moon landing 16:9", "the moon landing", 60, "16:9"),
    ],
)
def test_parse_request(line, topic, duration, aspect):
    job = parse_request(line)
    assert (job["topic"], job["duration_s"], job["aspect"]) == (topic, duration, aspect)


def test_parse_request_rejects_empty_topic():
    with pytest.raises(ValidationError):
        parse_request("make a video about")


@pytest.mark.parametrize(
    ("line", "topic", "visuals"),
    [
        ("make a video about bees with photos", "bees", "photos"),
        ("make a 30 second video about the moon using stock video clips", "the moon", "clips"),
        ("make a video about coffee with cards", "coffee", "cards"),
        ("make a video about playing cards", "playing cards", "auto"),
    ],
)
def test_parse_request_visuals(line, topic, visuals):
    job = parse_request(line)
    assert (job["topic"], job["visuals"]) == (topic, visuals)


@pytest.mark.parametrize(
    ("line", "captions", "topic"),
    [
        ("make a 30 second video about bees without captions", "off", "bees"),
        ("make a video about bees with no subtitles", "off", "bees"),
        ("make a video about tides with plain captions", "plain", "tides"),
        ("make a video about the moon with word-by-word captions", "words", "the moon"),
        ("make a video about volcanoes", None, "volcanoes"),
    ],
)
def test_a_chat_line_can_say_how_the_captions_look(line, captions, topic):
    fields = parse_fields(line)
    assert fields.get("captions") == captions
    assert fields["topic"] == topic
