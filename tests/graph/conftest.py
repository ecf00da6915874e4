"""Graph tests read reelforge.toml from where settings look for it: keep those places empty."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # config_path looks at $REELFORGE_CONFIG and the working directory too; keep both out of the way.
    monkeypatch.delenv("REELFORGE_CONFIG", raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
