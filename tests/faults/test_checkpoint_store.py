"""Lost or damaged checkpoints: an emptied, truncated or corrupt checkpoints.sqlite, or a flushed Redis, is
refused in one line (exit 2) that says how to recover, and nothing runs again silently; `make` fails before
it takes the run id; `resume RUN --restart` starts the run anew from its job and the video verifies."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT, CliResult, cli_env, run_cli
from tests.journal_checks import node_starts, read_journal
from tests.media_checks import measure
from tools.storage.redis_checkpoint_plans import DEFAULT_PREFIX

pytestmark = pytest.mark.slow

MAKE = ("make", "how rivers bend", "--duration", "10", "--voice", "espeak", "--preview")


def stopped_run(home: Path, run_id: str, **env: str) -> Path:
    """A run stopped by SIGTERM while its scenes are being made: it has made progress. Its folder."""
    run_dir = home / "runs" / run_id
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", *MAKE, "--run-id", run_id, "--json"],
        cwd=ROOT,
        env=cli_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not any(r["event"] == "start" and r["node"] == "make_scene" for r in read_journal(run_dir)):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "make_scene never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr.decode()
    return run_dir


def refused(result: CliResult, *words: str) -> str:
    """The one error line of a command refused with exit 2 (no traceback), holding each of `words`."""
    lines = result.stderr.strip().splitlines()
    assert result.code == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def empty(path: Path) -> None:
    path.write_bytes(b"")


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * (path.stat().st_size // 256))


def cut_mid_page(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2 + 100])


def cut_at_a_page(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: 4096 * 2])


def scribble_a_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 4] = b"\xde\xad" * 2048
    path.write_bytes(bytes(data))


def test_an_emptied_store_is_refused_and_nothing_runs_again(home: Path):
    run_dir = stopped_run(home, "emptied")
    empty(home / "checkpoints.sqlite")
    before = node_starts(run_dir)

    line = refused(run_cli(home, "resume", "emptied"), "checkpoints.sqlite", "empty", "--restart")
    assert "reelforge resume emptied --restart" in line
    assert node_starts(run_dir) == before, "a resume on an emptied store ran nodes again"
    assert run_cli(home, "runs", "--json").json()[0]["status"] == "stopped"


@pytest.mark.parametrize(
    "damage",
    [garbage, cut_mid_page, cut_at_a_page, scribble_a_page],
    ids=["garbage", "truncated mid-page", "truncated at a page", "a page overwritten"],
)
def test_a_corrupt_or_truncated_store_is_one_line(home: Path, damage: Callable[[Path], None]):
    run_dir = stopped_run(home, "damaged")
    damage(home / "checkpoints.sqlite")
    before = node_starts(run_dir)

    line = refused(run_cli(home, "resume", "damaged"), str(home / "checkpoints.sqlite"), "--restart")
    assert "move it aside" in line
    assert node_starts(run_dir) == before


def test_make_on_a_corrupt_store_does_not_take_the_run_id(home: Path):
    store = home / "checkpoints.sqlite"
    store.write_bytes(b"this is not a database\n" * 500)

    refused(run_cli(home, *MAKE, "--run-id", "fresh"), str(store), "move it aside")
    assert run_cli(home, "runs", "--json").json() == [], "the failed make took its run id"
    assert not (home / "runs" / "fresh" / "executions.jsonl").exists()

    store.rename(home / "checkpoints.sqlite.damaged")
    made = run_cli(home, *MAKE, "--run-id", "fresh", "--json")
    assert made.code == 0, made.stderr
    assert measure(Path(made.json()["video"])).video_codec == "h264"


def test_a_missing_store_refuses_a_run_that_made_progress(home: Path):
    run_dir = stopped_run(home, "moved")
    (home / "checkpoints.sqlite").rename(home / "checkpoints.sqlite.bak")
    before = node_starts(run_dir)

    refused(run_cli(home, "resume", "moved"), "run moved had finished", "checkpoints are gone", "--restart")
    assert node_starts(run_dir) == before


def test_approving_a_run_whose_checkpoints_are_gone_is_refused(home: Path):
    waiting = run_cli(home, *MAKE, "--review", "--run-id", "gated", "--json")
    assert waiting.code == 0 and waiting.json()["status"] == "waiting", waiting.stderr
    run_dir = home / "runs" / "gated"
    (home / "checkpoints.sqlite").unlink()
    before = node_starts(run_dir)

    refused(run_cli(home, "approve", "gated"), "waits at the script gate", "resume gated --restart")
    assert node_starts(run_dir) == before


def test_restart_after_the_store_was_emptied_completes(home: Path):
    run_dir = stopped_run(home, "again")
    scenes = {path.name: path.stat().st_mtime_ns for path in (run_dir / "scenes").glob("*.png")}
    empty(home / "checkpoints.sqlite")
    before = node_starts(run_dir)

    restarted = run_cli(home, "resume", "again", "--restart", "--json")
    assert restarted.code == 0, restarted.stderr
    after = node_starts(run_dir)
    assert after["planning.plan_request"] == before["planning.plan_request"] + 1, "it starts from the top"
    assert after["publishing.publish_gallery"] == 1
    m = measure(Path(restarted.json()["video"]))
    assert (m.video_codec, m.audio_codec, m.fps) == ("h264", "aac", 30.0)
    assert abs(m.duration_s - 10) <= 10 * 0.15
    # The pictures made before the stop still verify: the restart uses them rather than drawing them again.
    for name, mtime in scenes.items():
        assert (run_dir / "scenes" / name).stat().st_mtime_ns == mtime, f"{name} was made again"
    assert run_cli(home, "show", "again", "--json").json()["status"] == "done"


def test_a_flushed_redis_is_refused_then_restarts_from_the_run_folder(home: Path, redis_url: str):
    run_dir = stopped_run(home, "flushed", REDIS_URL=redis_url)
    redis.Redis.from_url(redis_url).flushall()
    before = node_starts(run_dir)

    refused(run_cli(home, "resume", "flushed", REDIS_URL=redis_url), "Redis at", "resume flushed --restart")
    assert node_starts(run_dir) == before, "a resume after FLUSHALL ran nodes again"

    restarted = run_cli(home, "resume", "flushed", "--restart", "--json", REDIS_URL=redis_url)
    assert restarted.code == 0, restarted.stderr
    assert measure(Path(restarted.json()["video"])).video_codec == "h264"


def test_redis_checkpoints_gone_while_the_index_stays_are_refused(home: Path, redis_url: str):
    run_dir = stopped_run(home, "expired", REDIS_URL=redis_url)
    client = redis.Redis.from_url(redis_url)
    checkpoint_keys = list(client.scan_iter(f"{DEFAULT_PREFIX}*"))
    assert checkpoint_keys, "the run wrote no checkpoint to Redis"
    client.delete(*checkpoint_keys)  # as a checkpoint TTL would
    before = node_starts(run_dir)

    refused(
        run_cli(home, "resume", "expired", REDIS_URL=redis_url),
        "run expired had finished",
        "checkpoints are gone from Redis at",
        "resume expired --restart",
    )
    assert node_starts(run_dir) == before
    shutil.rmtree(run_dir / "scenes")  # a restart without any file to reuse makes everything again
    restarted = run_cli(home, "resume", "expired", "--restart", "--json", REDIS_URL=redis_url)
    assert restarted.code == 0, restarted.stderr
    assert Path(restarted.json()["video"]).is_file()
