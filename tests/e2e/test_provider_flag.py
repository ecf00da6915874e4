"""`reelforge make --provider CAPABILITY=NAME`: a bad form or name is one line naming the flag, exit 2, and
nothing left behind; a good one is kept in the run's job."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--provider", "nonsense"], "--provider: 'nonsense' is not CAPABILITY=NAME; write e.g. text=ollama"),
        (["--provider", "text="], "--provider: 'text=' is not CAPABILITY=NAME"),
        (["--provider", "=ollama"], "--provider: '=ollama' is not CAPABILITY=NAME"),
        (
            ["--provider", "text=nonsense"],
            "--provider: unknown text provider 'nonsense'; choose one of ollama, openai_compatible,",
        ),
        (["--provider", "image=ollama"], "--provider: 'ollama' does not serve image; choose one of comfyui,"),
        (["--provider", "video=comfyui"], "--provider: unknown capability 'video'; choose one of text,"),
        (
            ["--provider", "text=ollama", "--provider", "text=openai"],
            "--provider: text is given twice; name one provider per capability",
        ),
    ],
)
def test_make_rejects_a_bad_provider(home: Path, flags: list[str], needle: str):
    result = run_cli(home, "make", "coffee", *flags, "--run-id", "picked")
    assert result.code == 2, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_the_chosen_providers_are_kept_in_the_job(home: Path):
    # Neither provider is set up here: the run goes on with the next ones and stops at the script gate.
    made = run_cli(
        home,
        "make",
        "how honey is made",
        "--duration",
        "15",
        "--voice",
        "espeak",
        "--preview",
        "--review",
        "--provider",
        "text=ollama",
        "--provider",
        "image=comfyui",
        "--run-id",
        "picked",
        "--json",
    )
    assert made.code == 0, made.stderr
    assert made.json()["status"] == "waiting"
    shown = run_cli(home, "show", "picked", "--json").json()
    assert shown["job"]["providers"] == {"text": "ollama", "image": "comfyui"}
