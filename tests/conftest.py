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


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess using `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELFORGE_")}
    env["REELFORGE_HOME"] = str(home)
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
