"""Tests for the redactor that keeps keys out of logs, error messages and records."""

from __future__ import annotations

import secrets
import string
from collections import namedtuple

import pytest

from tools.secrets import MASK, redact, redact_processor, register_secrets


def unique(length: int = 24) -> str:
    """A fresh secret-like string; the registry is process-wide, so no two tests share one."""
    # Letters only, so that no provider key shape (sk-, hf_, gsk_) can match it by accident.
    return "".join(secrets.choice(string.ascii_letters) for _ in range(length))


def test_registered_secrets_are_replaced_everywhere_they_appear():
    key, token = unique(), unique(32)
    register_secrets([key, token, None, ""])
    text = f"url=https://x/?key={key} then {key}; token {token}."
    assert redact(text) == f"url=https://x/?key={MASK} then {MASK}; token {MASK}."


def test_a_longer_secret_that_contains_a_shorter_one_is_masked_whole():
    short = unique(8)
    long = short + unique(12)
    register_secrets([short, long])
    assert redact(f"a {long} b {short} c") == f"a {MASK} b {MASK} c"


def test_values_shorter_than_six_characters_are_not_registered():
    five, six = unique(5), unique(6)
    register_secrets([five, six])
    assert redact(f"<{five}> <{six}>") == f"<{five}> <{MASK}>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-abcdEFGH1234_-xyz used", f"key {MASK} used"),
        ("OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56", f"OPENAI_API_KEY={MASK}"),
        ("token hf_AbCdEfGh12345678", f"token {MASK}"),
        ("groq gsk_AbCdEfGh12345678 !", f"groq {MASK} !"),
        ("Authorization: Bearer eyJhbGciOi.JIUzI1-NiJ9", f"Authorization: Bearer {MASK}"),
        ("authorization: bearer abcdefgh12345", f"authorization: bearer {MASK}"),
    ],
)
def test_key_shaped_strings_are_masked_without_being_registered(text: str, expected: str):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a risk-assessment of the desk-lamp-for-reading",  # 'sk-' inside a word
        "sk-short",  # too short to be a key
        "the hf_ prefix and gsk_ prefix alone",
        "Bearer short",
        "an ordinary sentence about coffee",
    ],
)
def test_ordinary_text_is_left_alone(text: str):
    assert redact(text) == text


def test_redact_processor_scrubs_nested_values_and_exceptions():
    key = unique()
    register_secrets([key])
    event = {
        "event": f"call failed with {key}",
        "request": {"headers": {"Authorization": f"Bearer {unique(20)}"}, "params": [key, 3, None]},
        "pair": ("provider", f"key={key}"),
        "error": RuntimeError(f"401 for key {key}"),
        "attempts": 2,
        "ok": False,
        "latency": 1.5,
    }
    result = redact_processor(None, "info", event)
    assert result is event
    assert result["event"] == f"call failed with {MASK}"
    assert result["request"] == {"headers": {"Authorization": f"Bearer {MASK}"}, "params": [MASK, 3, None]}
    assert result["pair"] == ("provider", f"key={MASK}")
    assert result["error"] == f"RuntimeError: 401 for key {MASK}"
    assert (result["attempts"], result["ok"], result["latency"]) == (2, False, 1.5)
    assert key not in repr(result)


def test_redact_processor_survives_a_namedtuple():
    key = unique()
    register_secrets([key])
    Endpoint = namedtuple("Endpoint", ["name", "url"])
    event = {"event": "probe", "endpoint": Endpoint("openai", f"https://api?key={key}")}
    result = redact_processor(None, "info", event)
    assert key not in repr(result)
