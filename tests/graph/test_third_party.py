"""The free tier sends the job's words to third parties: `status` says so on its rows, a home's first run
says so once, and with the switch off status shows the whole tier off."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from graph.model_status import provider_status, render_status
from graph.router_config import load_router_settings
from graph.services import Services
from graph.settings import load_settings
from graph.third_party import NOTICE_MARKER, first_run_notice
from state.model_settings import PROVIDER_TIERS
from tests.servers.pollinations import PollinationsImageServer, PollinationsTextServer

FREE = ("openverse", "commons", "pollinations_text", "pollinations_image", "pollinations_speech")


@pytest.fixture
def pollinations(monkeypatch: pytest.MonkeyPatch, free_tier: None):
    """Both fake Pollinations hosts, set up through the environment as a user would."""
    with PollinationsTextServer() as text, PollinationsImageServer() as image:
        monkeypatch.setenv("POLLINATIONS_TEXT_URL", f"{text.url}/openai")
        monkeypatch.setenv("POLLINATIONS_IMAGE_URL", image.url)
        monkeypatch.setenv("POLLINATIONS_SPEECH_URL", text.url)
        yield text, image


def _status(home: Path) -> dict:
    return provider_status(Services(load_settings(home=home)))


def _rendered(status: dict) -> str:
    console = Console(record=True, width=400)
    console.print(render_status(status))
    return console.export_text()


def test_status_says_what_each_free_row_sends_and_to_whom(home: Path, pollinations):
    text, image = pollinations
    status = _status(home)
    assert status["third_party_free"] is True
    rows = {(r["provider"], r["capability"]): r for r in status["providers"]}
    assert rows[("pollinations_text", "text")]["healthy"] is True
    assert rows[("pollinations_image", "image")]["healthy"] is True
    assert rows[("pollinations_speech", "speech")]["healthy"] is True
    note = rows[("pollinations_text", "text")]["third_party"]
    assert note == "sends the prompts to 127.0.0.1 (a third party)"
    assert rows[("pollinations_image", "image")]["third_party"].startswith("sends scene descriptions to ")
    assert rows[("pollinations_speech", "speech")]["third_party"].startswith("sends narration text to ")
    note = rows[("openverse", "image")]["third_party"]
    assert note == "sends scene descriptions to api.openverse.org (a third party)"
    for row in status["providers"]:
        assert bool(row["third_party"]) == (row["tier"] == "free" and row["provider"] in FREE), row
    table = _rendered(status)
    assert "free*" in table and "REELFORGE_THIRD_PARTY_FREE=off" in table
    assert "third_party_free = false" in table


@pytest.mark.parametrize("how", ["env", "toml"])
def test_with_the_switch_off_status_shows_the_free_tier_off(home: Path, pollinations, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("REELFORGE_THIRD_PARTY_FREE", "off")
    else:
        (home / "reelforge.toml").write_text("[router]\nthird_party_free = false\n")
    text, image = pollinations

    status = _status(home)

    assert status["third_party_free"] is False
    free_rows = [r for r in status["providers"] if r["tier"] == "free"]
    assert {r["provider"] for r in free_rows} >= set(FREE)
    for row in free_rows:
        assert (row["healthy"], row["configured"], row["third_party"]) == (False, False, ""), row
        assert row["error"].startswith("off: third_party_free is false"), row
    assert text.requests == [] and image.requests == [], "not even a health check goes out"
    table = _rendered(status)
    assert "free*" not in table and "off: third_party_free is false" in table


def test_the_first_run_says_it_once_per_home(home: Path):
    router = load_router_settings(home, environ={})
    probed: list[str] = []

    def reachable(url: str) -> bool:
        probed.append(url)
        return "pollinations" in url

    line = first_run_notice(home, router, reachable)
    assert line is not None and "\n" not in line
    assert "text.pollinations.ai" in line and "image.pollinations.ai" in line
    assert "openverse" not in line, "only hosts that would be tried are named"
    assert "the prompts, scene descriptions and narration text" in line
    assert "third_party_free = false" in line and "REELFORGE_THIRD_PARTY_FREE=off" in line
    assert (home / NOTICE_MARKER).is_file()
    assert set(probed) >= {"https://text.pollinations.ai/openai", "https://api.openverse.org"}
    probed.clear()
    assert first_run_notice(home, router, reachable) is None
    assert probed == [], "once said, nothing is probed again"


def test_no_notice_while_nothing_free_would_be_tried(home: Path):
    router = load_router_settings(home, environ={})
    assert first_run_notice(home, router, lambda url: False) is None
    assert not (home / NOTICE_MARKER).exists(), "said later, on the first run that could send"


def test_a_free_provider_the_user_set_up_is_named_without_a_probe(home: Path):
    router = load_router_settings(home, environ={"OPENVERSE_URL": "http://photos.example:8080"})
    line = first_run_notice(home, router, lambda url: False)
    assert line is not None and "photos.example" in line
    assert "sends scene descriptions to free third-party services" in line


def test_no_notice_with_the_switch_off(home: Path):
    router = load_router_settings(home, environ={"REELFORGE_THIRD_PARTY_FREE": "off"})
    assert not any(p.enabled for n, p in router.providers.items() if PROVIDER_TIERS[n] == "free")
    assert first_run_notice(home, router, lambda url: True) is None
    assert not (home / NOTICE_MARKER).exists()
