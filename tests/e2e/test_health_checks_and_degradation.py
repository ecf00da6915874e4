"""Health checks of the built-in default addresses (what the dashboard's status indicator polls) put the
servers nobody runs in a cooldown; a run made afterwards must not call itself degraded because of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model_status import provider_status
from graph.services import open_services
from graph.settings import load_settings
from tests.conftest import run_cli


def test_status_checks_of_absent_defaults_do_not_make_an_offline_run_degraded(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    with open_services(load_settings()) as services:
        for _ in range(4):  # past the cooldown's threshold of failures
            assert provider_status(services)["mode"] == "OFFLINE"
    made = run_cli(home, "make", "bees", "--duration", "10", "--voice", "espeak", "--preview", "--json")
    assert made.code == 0, made.stderr
    result = made.json()
    assert result["degraded"] is False, result
