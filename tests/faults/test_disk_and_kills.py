"""A full disk in the middle of a render, and a render killed half-way: nothing half-written is left
behind, the checkpoints stay readable, and the run finishes once there is room again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env, run_cli
from tests.faults.kill_chain import MAKE
from tests.media_checks import measure

pytestmark = pytest.mark.slow


def partial_files(run_dir: Path) -> list[Path]:
    """Files a writer had not finished: atomic writes name them `.<name>.partial-*`."""
    return sorted(run_dir.rglob(".*.partial-*"))


def test_a_render_killed_half_way_leaves_no_partial_file_after_resume(home):
    run_dir = home / "runs" / "cut"
    proc = _make_until_render_writes(home, "cut")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert partial_files(run_dir), "the kill left the half-written video behind"

    resumed = run_cli(home, "resume", "cut", "--json")
    assert resumed.code == 0, resumed.stderr
    assert partial_files(run_dir) == []
    assert len(list((run_dir / "video").glob("video-*.mp4"))) == 1


def processes_using(path: Path) -> list[str]:
    """Command lines of live processes that name `path`: an orphaned ffmpeg would."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(cmdline)
    return found


def _make_until_render_writes(home: Path, run_id: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", *MAKE, "--duration", "20", "--run-id", run_id],
        cwd=ROOT,
        env=cli_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not list((home / "runs" / run_id / "video").glob(".video-*.partial-*")):
        assert proc.poll() is None and time.monotonic() < deadline, "the render never started writing"
        time.sleep(0.01)
    return proc


def test_sigterm_mid_render_stops_cleanly_with_nothing_left_behind(home):
    run_dir = home / "runs" / "termed"
    proc = _make_until_render_writes(home, "termed")
    asked = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    assert time.monotonic() - asked < 10
    assert "reelforge resume termed" in stderr.decode()
    assert processes_using(home) == [], "no ffmpeg or voice process outlives the run"
    assert partial_files(run_dir) == [], "a clean stop removes what it was writing"

    resumed = run_cli(home, "resume", "termed", "--json")
    assert resumed.code == 0, resumed.stderr
    assert partial_files(run_dir) == []
    assert processes_using(home) == []


@pytest.fixture
def small_home(tmp_path: Path):
    """A home on its own 64 MB tmpfs, so the test can fill it up (needs root, as CI has)."""
    home = tmp_path / "home"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(home)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the disk-full test (run as root): {mounted.stderr.strip()}")
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def _fill(home: Path, leave_bytes: int) -> Path:
    stat = os.statvfs(home)
    filler = home / "filler"
    with open(filler, "wb") as handle:
        handle.truncate(0)
        chunk = bytes(1 << 20)
        left = stat.f_bavail * stat.f_frsize - leave_bytes
        while left > 0:
            written = handle.write(chunk[: min(len(chunk), left)])
            left -= written
    return filler


def test_a_full_disk_mid_render_fails_in_one_line_and_resumes_once_there_is_room(small_home):
    home, env = small_home, {"REELFORGE_MIN_FREE_GB": "0"}
    run_dir = home / "runs" / "tight"
    make = (*MAKE, "--duration", "30", "--run-id", "tight")
    killed = run_cli(home, *make, REELFORGE_FAILPOINT="start:render_scenes", **env)
    assert killed.code == -signal.SIGKILL, killed.stderr

    # Fill the disk once the render has begun writing the video.
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "resume", "tight", "--json"],
        cwd=ROOT,
        env=cli_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list((run_dir / "video").glob(".video-*.partial-*")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.01)
    filler = _fill(home, leave_bytes=0)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    assert "no space left" in errors[0], errors[0]
    assert partial_files(run_dir) == []

    # The checkpoints are intact: the run still waits at the render, and finishes once there is room.
    filler.unlink()
    shown = run_cli(home, "show", "tight", "--json", **env)
    assert shown.code == 0, shown.stderr
    assert shown.json()["next"] == ["video_production.render_scenes"]
    resumed = run_cli(home, "resume", "tight", "--json", **env)
    assert resumed.code == 0, resumed.stderr
    video = measure(Path(resumed.json()["video"]))
    assert abs(video.duration_s - 30) <= 30 * 0.15
