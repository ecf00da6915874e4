"""Shared fixtures: an isolated reelforge home and a way to run the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CliResult:
    """What one CLI invocation printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        """Parse stdout as the one JSON object --json prints."""
        return json.loads(self.stdout)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests (real renders, kill chains, browsers) first, so xdist's workers start the long ones early
    and finish on short ones instead of one worker running a two-minute test at the end. Stable, so
    every worker collects the same order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Provider settings from the developer's shell must not leak into tests: each test sets what it uses.
PROVIDER_ENV = (
    "OLLAMA_HOST",
    "OLLAMA_MODEL",
    "OPENAI_COMPATIBLE_URL",
    "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_MODEL",
    "COMFYUI_URL",
    "COMFYUI_CHECKPOINT",
    "COMFYUI_FAMILY",
    "COQUI_TTS_URL",
    "COQUI_SPEAKER",
    "HF_TOKEN",
    "HF_INFERENCE_URL",
    "HF_ENDPOINT",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GROQ_API_KEY",
    "GROQ_BASE_URL",
    "POLLINATIONS_TEXT_URL",
    "POLLINATIONS_IMAGE_URL",
    "POLLINATIONS_SPEECH_URL",
    "PEXELS_URL",
    "PEXELS_API_KEY",
    "PIXABAY_URL",
    "PIXABAY_API_KEY",
)


def _outside_settings(name: str) -> bool:
    platforms = ("AIRTABLE_", "YOUTUBE_", "WORDPRESS_", "INSTAGRAM_")
    return (
        name.startswith(("REELFORGE_", *platforms))
        or name in PROVIDER_ENV
        or name in ("REDIS_URL", "WIKIPEDIA_URL")
    )


# Research asks Wikipedia, which tests cannot reach: it is off unless a test points WIKIPEDIA_URL at a fake.
NO_RESEARCH = {"REELFORGE_RESEARCH": "off"}
# The free tier's public services (Openverse, Commons, Pollinations) answer on a machine with a network: off,
# so the suite gives the same results everywhere, unless a test points one of them at a fake.
FREE_TIER_SETTINGS = (
    "OPENVERSE_URL",
    "COMMONS_URL",
    "POLLINATIONS_TEXT_URL",
    "POLLINATIONS_IMAGE_URL",
    "POLLINATIONS_SPEECH_URL",
    "PEXELS_API_KEY",
    "PIXABAY_API_KEY",
    "REELFORGE_THIRD_PARTY_FREE",
)
NO_FREE_TIER = {"REELFORGE_THIRD_PARTY_FREE": "off"}


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that read settings in-process see only what they set themselves."""
    for name in [name for name in os.environ if _outside_settings(name)]:
        monkeypatch.delenv(name)
    for name, value in {**NO_RESEARCH, **NO_FREE_TIER}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def free_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    """For in-process tests that point the free tier at fakes: the switch back to its default, on."""
    monkeypatch.delenv("REELFORGE_THIRD_PARTY_FREE")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess using `home`, with no provider configured unless given.

    Research is off unless the test sets WIKIPEDIA_URL (then on, at that URL) or REELFORGE_RESEARCH, and
    the free tier is off unless the test points one of its services at a fake.
    """
    env = {k: v for k, v in os.environ.items() if not _outside_settings(k)}
    env["REELFORGE_HOME"] = str(home)
    if "WIKIPEDIA_URL" not in extra:
        env.update(NO_RESEARCH)
    if not set(FREE_TIER_SETTINGS) & set(extra):
        env.update(NO_FREE_TIER)
    env.update(extra)
    return env


def run_cli(home: Path, *args: str, timeout: float = 300, **env: str) -> CliResult:
    """Run `reelforge ARGS` for real and capture its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "graph.cli", *args],
        cwd=ROOT,
        env=cli_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh reelforge home for one test."""
    path = tmp_path / "home"
    path.mkdir()
    return path


# --- Redis: one private redis-server per test session (per xdist worker), a fresh database per test ---------


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server (AOF on) on a free port, stopped and removed at the end of the session."""
    from tests.redis_server import RedisServer

    server = RedisServer.start()
    try:
        yield server
    finally:
        server.stop()


_redis_dbs = iter(range(10**9))


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of a database of the private server that no other test uses, emptied before the test."""
    import redis

    db = 1 + next(_redis_dbs) % 63
    url = redis_server.url_for_db(db)
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


@pytest.fixture
def redis_client(redis_url: str):
    """A text client on the test's own empty database of the private redis-server."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def prefix() -> str:
    """A key prefix other than the default, so store tests also show that the prefix is honoured."""
    import uuid

    return f"test-{uuid.uuid4().hex[:8]}"
