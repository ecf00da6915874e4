"""Runs the API starts in its own pool execute below the serving threads, with the processes they start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graph.run_launcher import RUN_NICENESS, RunLauncher
from graph.runs import RunService
from graph.services import open_services
from graph.settings import load_settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_run_its_node_threads_and_its_processes_run_below_the_server(tmp_path: Path):
    before = _nice()
    launcher = RunLauncher(RunService(open_services(load_settings(home=tmp_path / "home"))), 1)
    seen: dict[str, int] = {}

    async def work() -> None:
        seen["run"] = _nice()
        # Sync nodes run on the run loop's executor; ffmpeg and the voices are child processes.
        seen["node"] = await asyncio.to_thread(_nice)
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
            capture_output=True,
            text=True,
            check=True,
        )
        seen["child"] = int(child.stdout)

    launcher._spawn("priority-check", work)  # type: ignore[arg-type]
    launcher.close(wait=True)
    expected = min(19, before + RUN_NICENESS)
    assert seen == {"run": expected, "node": expected, "child": expected}
    # The serving thread keeps its priority.
    assert _nice() == before
