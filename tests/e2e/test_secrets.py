"""No key ever reaches a log line, a checkpoint, the ledger, a run file or an error message.

The run uses every cloud provider with a key, one of them refused (401) so errors are raised and logged,
and then a run that fails outright. Afterwards every byte under the home folder and everything the CLI
printed is searched for each key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.servers.huggingface import HFServer
from tests.servers.openai import OpenAIServer

pytestmark = pytest.mark.slow

# Shaped unlike any provider's keys, so only registering the configured values can redact them.
OPENAI_KEY = "Zq7-openai-secret-4c1f9e27"
HF_TOKEN = "Zq7-hf-secret-b38d5a10"
GROQ_KEY = "Zq7-groq-secret-77e0c2d4"
COMPATIBLE_KEY = "Zq7-compatible-secret-9a61"
KEYS = (OPENAI_KEY, HF_TOKEN, GROQ_KEY, COMPATIBLE_KEY)

SCRIPT = {
    "title": "Secrets stay secret",
    "hook": "Keys belong in vaults.",
    "scenes": [
        {"narration": "Keys belong in vaults.", "on_screen_text": "Vaults", "visual": "a vault"},
        {"narration": "Logs are read by many people.", "on_screen_text": "Logs", "visual": "a log"},
        {"narration": "Errors travel far and wide.", "on_screen_text": "Errors", "visual": "a letter"},
        {"narration": "Redact before you write.", "on_screen_text": "Redact", "visual": "a pen"},
        {"narration": "Rotate keys often. Follow for more.", "on_screen_text": "Rotate", "visual": "a key"},
    ],
    "call_to_action": "Follow for more.",
    "description": "Why keys stay out of logs.",
    "tags": ["security"],
}


def _every_file_mentions(home: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [str(path) for path in home.rglob("*") if path.is_file() and needle in path.read_bytes()]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run make, status and costs with keys set, then a run whose every provider fails."""
    home = tmp_path_factory.mktemp("secrets") / "home"
    printed: list[str] = []
    with OpenAIServer() as openai, HFServer() as hf:
        openai.api_key = OPENAI_KEY
        openai.models = ["gpt-4o-mini", "dall-e-3", "gpt-4o-mini-tts", "compatible"]
        openai.default_reply = json.dumps(SCRIPT)
        hf.token = "the-right-token-not-ours"  # ours is refused with 401 on every call
        env = {
            "OPENAI_API_KEY": OPENAI_KEY,
            "OPENAI_BASE_URL": f"{openai.url}/v1",
            "HF_TOKEN": HF_TOKEN,
            "HF_INFERENCE_URL": hf.url,
            "HF_ENDPOINT": hf.url,
            "GROQ_API_KEY": GROQ_KEY,
            "GROQ_BASE_URL": f"{openai.url}/v1",
            "OPENAI_COMPATIBLE_URL": f"{openai.url}/v1",
            "OPENAI_COMPATIBLE_API_KEY": COMPATIBLE_KEY,
            "OPENAI_COMPATIBLE_MODEL": "compatible",
        }
        args = ("--duration", "12", "--preview", "--voice", "espeak", "--json")
        made = run_cli(home, "make", "why keys stay secret", *args, "--run-id", "keys", **env)
        assert made.code == 0, made.stderr
        printed += [made.stdout, made.stderr]
        for command in (("status", "--json"), ("status",), ("costs", "--by", "run"), ("show", "keys")):
            result = run_cli(home, *command, **env)
            printed += [result.stdout, result.stderr]
        # A run with no offline tier, whose every provider fails: its error message must be clean too.
        config = home / "no-offline.toml"
        config.write_text('[router]\norder = { text = ["openai_compatible", "huggingface", "openai"] }\n')
        openai.fail("500", times=None)
        failed = run_cli(
            home, "make", "a doomed run", *args, "--run-id", "doomed", REELFORGE_CONFIG=str(config), **env
        )
        printed += [failed.stdout, failed.stderr]
    return home, made.json(), failed, "\n".join(printed)


def test_the_run_used_the_keys_and_says_which_were_refused(outputs):
    _, summary, _, _ = outputs
    # The compatible server and HF refuse their keys (401), so OpenAI writes the script.
    assert summary["tiers"]["script"] == "cloud:openai"
    assert summary["tiers"]["images"] == "cloud:openai"
    assert summary["degraded"] is True
    reasons = " ".join(summary["degraded_reasons"])
    assert "openai_compatible (self-hosted): auth" in reasons


def test_the_failed_run_says_why_in_one_line(outputs):
    _, _, failed, _ = outputs
    assert failed.code == 1
    lines = failed.stderr.strip().splitlines()
    assert lines[-1].startswith("error: no text provider answered")
    # `status` found the compatible server and HF refusing their keys, so they are cooling down now.
    assert "openai_compatible (self-hosted): cooling_down" in lines[-1]
    assert "huggingface (cloud): cooling_down" in lines[-1]
    assert "openai (cloud): server_error" in lines[-1]


@pytest.mark.parametrize("key", KEYS, ids=["openai", "hf", "groq", "compatible"])
def test_no_key_in_any_file_under_home(outputs, key):
    home, _, _, _ = outputs
    assert (home / "logs" / "reelforge.log").stat().st_size > 0, "the runs logged something"
    assert (home / "checkpoints.sqlite").exists() and (home / "ledger.sqlite").exists()
    assert _every_file_mentions(home, key) == []


@pytest.mark.parametrize("key", KEYS, ids=["openai", "hf", "groq", "compatible"])
def test_no_key_in_anything_the_cli_printed(outputs, key):
    _, _, _, printed = outputs
    assert key not in printed
