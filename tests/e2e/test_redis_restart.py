"""Redis (AOF on) restarts in the middle of a run whose checkpoints it holds; the run still finishes.

Depending on when the restart lands, redis-py's reconnect carries the run through, or the run stops with a
one-line error and `reelforge resume` finishes it. Either way, nodes that had finished never run again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env, run_cli
from tests.journal_checks import node_starts
from tests.media_checks import measure
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow

# A short thread-lock TTL, so a lock its process could not release frees itself quickly.
LOCK = {"REELFORGE_LOCK_TTL_S": "3"}


# A quick restart is bridged by the client's reconnect; a long one stops the run, and resume finishes it.
@pytest.mark.parametrize("down_s", [0.0, 5.0], ids=["quick-restart", "long-outage"])
def test_a_run_survives_a_redis_restart_and_resumes_where_it_was(tmp_path, down_s):
    server = RedisServer.start()
    try:
        home = tmp_path / "home"
        home.mkdir()
        url = server.url_for_db(0)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "graph.cli",
                "--redis",
                url,
                "make",
                "how tides work",
                "--run-id",
                "tides",
                "--duration",
                "30",
                "--voice",
                "espeak",
                "--preview",
                "--json",
            ],
            cwd=ROOT,
            env=cli_env(home, **LOCK),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        run_dir = home / "runs" / "tides"
        deadline = time.monotonic() + 180
        while not node_starts(run_dir)["video_production.plan_timeline"]:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never reached VideoProduction"
            time.sleep(0.02)
        server.restart(down_s)
        before = node_starts(run_dir)
        assert not before["publishing.publish_gallery"], "the restart came too late to test anything"
        stdout, stderr = proc.communicate(timeout=300)

        print("run survived the restart" if proc.returncode == 0 else "run stopped; resuming")
        if proc.returncode != 0:
            lines = stderr.decode().strip().splitlines()
            assert lines[-1].startswith("error: ") and "reelforge resume tides" in lines[-1], stderr.decode()
            # The stopped run could not release its lock while Redis was down: resume waits out its TTL.
            started = time.monotonic()
            resumed = run_cli(home, "--redis", url, "resume", "tides", "--json", **LOCK)
            assert time.monotonic() - started < 60
            assert resumed.code == 0, resumed.stderr
            summary = resumed.json()
        else:
            summary = json.loads(stdout)

        after = node_starts(run_dir)
        for node, count in before.items():
            if node.startswith(("planning", "data_acquisition", "content_generation")):
                assert after[node] == count, f"{node} ran again after the Redis restart"
        shown = run_cli(home, "--redis", url, "show", "tides", "--json").json()
        assert shown["status"] == "done" and shown["thread_id"] == "make:tides"
        m = measure(Path(summary["video"]))
        assert (m.video_codec, m.audio_codec) == ("h264", "aac")
        assert abs(m.duration_s - 30) <= 30 * 0.15
    finally:
        server.stop()
