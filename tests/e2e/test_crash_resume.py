"""A run killed with SIGKILL during VideoProduction resumes there; finished nodes never run again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env, run_cli
from tests.journal_checks import finished_nodes, node_starts, read_journal
from tests.media_checks import measure

pytestmark = pytest.mark.slow


def _start(home: Path, run_id: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graph.cli",
            "make",
            "how glaciers move",
            "--run-id",
            run_id,
            "--duration",
            "40",
            "--voice",
            "espeak",
            "--preview",
            "--json",
            *extra,
        ],
        cwd=ROOT,
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_start(proc: subprocess.Popen, run_dir: Path, node: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["event"] == "start" and r["node"] == node for r in read_journal(run_dir)):
            return
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    raise AssertionError(f"{node} never started")


def test_sigkill_during_video_production_then_resume(home):
    run_dir = home / "runs" / "crashy"
    proc = _start(home, "crashy")
    _wait_for_start(proc, run_dir, "render_scenes")
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = time.monotonic()

    # The index still says running, but its process is gone: `runs` says stopped at once.
    listed = run_cli(home, "runs", "--json")
    assert {row["run_id"]: row["status"] for row in listed.json()}["crashy"] == "stopped"
    assert time.monotonic() - killed_at < 10, "stopped shows within seconds of the kill"
    followed = run_cli(home, "follow", "crashy", "--json")
    last = json.loads(followed.stdout.splitlines()[-1])
    assert followed.code == 1 and last["kind"] == "stopped" and "resume" in last["message"]

    starts_before = node_starts(run_dir)
    finished_before = finished_nodes(run_dir)
    assert "video_production.render_scenes" not in finished_before, "the kill came too late to test anything"
    assert "video_production.mix_soundtrack" in finished_before

    shown = run_cli(home, "show", "crashy", "--json").json()
    assert shown["next"] == ["video_production.render_scenes"]

    resumed = run_cli(home, "resume", "crashy", "--json")
    assert resumed.code == 0, resumed.stderr
    after = node_starts(run_dir)
    for node in finished_before:
        assert after[node] == starts_before[node], f"{node} ran again after the resume"
    assert after["video_production.render_scenes"] == starts_before["video_production.render_scenes"] + 1
    assert after["publishing.publish_gallery"] == 1

    m = measure(Path(resumed.json()["video"]))
    assert (m.video_codec, m.audio_codec, m.fps) == ("h264", "aac", 30.0)
    assert abs(m.duration_s - 40) <= 40 * 0.15
    assert abs(m.integrated_lufs - (-14)) <= 1.5


def test_sigterm_stops_cleanly_and_the_run_resumes(home):
    run_dir = home / "runs" / "stopped"
    proc = _start(home, "stopped")
    _wait_for_start(proc, run_dir, "make_scene")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    assert "reelforge resume stopped" in stderr.decode()
    assert run_cli(home, "show", "stopped", "--json").json()["status"] == "stopped"
    resumed = run_cli(home, "resume", "stopped", "--json")
    assert resumed.code == 0, resumed.stderr
    assert Path(resumed.json()["video"]).is_file()
