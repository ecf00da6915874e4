"""Measure how long a 7-scene make waits on research and open media when every service answers slowly.

`reelforge make` (60 s, which the offline writer splits into 7 scenes; --preview, so the render stays
small) runs against local fakes speaking each service's protocol: Wikipedia (tests/servers/mediawiki.py)
and Openverse and Wikimedia Commons (tests/servers/open_media.py, real photographs). It runs once with the
fakes answering at once and once with every request answered after --delay seconds. The extra wall time
of the slow run in the phases that ask the fakes (the research node, the scene fan-out) is the time the
make spent waiting on them; the whole run's difference is printed too, with the requests each fake saw.
Each setting runs --runs times and each figure's fastest run counts, since wall time on a shared machine
is noisy.

    .venv/bin/python benchmarks/media_overlap.py [--delay 1] [--runs 1] [--voice joe]

Target: with a 1 s delay, no more than ~3 s of waiting in total: research and pictures overlap with each
other and with the voice.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_env import make_env  # noqa: E402
from tests.servers.harness import ProtocolServer  # noqa: E402
from tests.servers.mediawiki import MediaWikiServer  # noqa: E402
from tests.servers.open_media import (  # noqa: E402
    MORE_PHOTOS,
    PHOTOS,
    CommonsServer,
    OpenverseServer,
    photo_jpeg,
)

TOPIC = "how glaciers move"  # a page the MediaWiki fake knows
TARGET_S = 3.0


@dataclass
class Run:
    """One make: its wall time, its phases' wall times, and the requests each fake saw."""

    wall_s: float
    research_s: float
    scenes_s: float
    scene_count: int
    requests: dict[str, int]


@contextmanager
def fakes(delay_s: float) -> Iterator[dict[str, ProtocolServer]]:
    """Wikipedia, Openverse and Commons on localhost, each answering every request after `delay_s`."""
    for name in PHOTOS + MORE_PHOTOS:
        photo_jpeg(name)  # encoded before timing, so only the delay is waited for
    with ExitStack() as stack:
        openverse = OpenverseServer()
        # As the real search does (20 a page), Openverse has a picture for every scene.
        openverse.photos = PHOTOS + MORE_PHOTOS
        servers: dict[str, ProtocolServer] = {
            "wikipedia": MediaWikiServer(),
            "openverse": openverse,
            "commons": CommonsServer(),
        }
        for server in servers.values():
            server.delay_s = delay_s
            stack.enter_context(server)
        yield servers


def make_once(home: Path, run_id: str, delay_s: float, voice: str) -> Run:
    """One `reelforge make` against the fakes; its wall time and phases."""
    with fakes(delay_s) as servers:
        env = make_env(
            home,
            ["openverse", "commons", "offline"],
            WIKIPEDIA_URL=servers["wikipedia"].url,
            OPENVERSE_URL=servers["openverse"].url,
            COMMONS_URL=servers["commons"].url,
        )
        cmd = [sys.executable, "-m", "graph.cli", "make", TOPIC, "--duration", "60", "--preview"]
        cmd += ["--voice", voice, "--run-id", run_id, "--json"]
        started = time.perf_counter()
        made = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if made.returncode != 0:
            sys.exit(f"make failed ({made.returncode}):\n{made.stderr[-2000:]}")
        requests = {name: len(server.requests) for name, server in servers.items()}
    research, scenes, count = phases(home / "runs" / run_id / "executions.jsonl")
    return Run(wall, research, scenes, count, requests)


def phases(executions: Path) -> tuple[float, float, int]:
    """The research node's wall time, the scene fan-out's (first start to last end), and the scene count."""
    events = [json.loads(line) for line in executions.read_text().splitlines() if line.strip()]
    research = sum(e["seconds"] for e in events if e["event"] == "end" and e["node"] == "gather_facts")
    scenes = [e for e in events if e["node"] == "make_scene"]
    span = max(e["t"] for e in scenes) - min(e["t"] for e in scenes) if scenes else 0.0
    return research, span, sum(1 for e in scenes if e["event"] == "end")


def fastest(runs: list[Run]) -> Run:
    """The least disturbed of several runs: each figure at its minimum."""
    best = min(runs, key=lambda run: run.wall_s)
    return Run(
        best.wall_s,
        min(run.research_s for run in runs),
        min(run.scenes_s for run in runs),
        best.scene_count,
        best.requests,
    )


def main() -> None:
    """Run the make with fast and slow fakes; print the extra wall time and where it went."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=1.0, help="seconds each fake waits before answering")
    parser.add_argument("--runs", type=int, default=1, help="runs per setting; the fastest counts")
    parser.add_argument("--voice", default="joe")
    args = parser.parse_args()

    results: dict[float, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for delay in (0.0, args.delay):
            runs = [
                make_once(Path(tmp) / f"home-{delay:g}-{n}", f"overlap-{n}", delay, args.voice)
                for n in range(args.runs)
            ]
            results[delay] = fastest(runs)
    fast, slow = results[0.0], results[args.delay]
    for label, run in (("answering at once", fast), (f"answering after {args.delay:g} s", slow)):
        asked = ", ".join(f"{name} {count}" for name, count in run.requests.items())
        print(
            f"fakes {label:22s}: {run.wall_s:6.1f} s wall; research {run.research_s:5.1f} s,"
            f" {run.scene_count} scenes {run.scenes_s:5.1f} s; requests: {asked}"
        )
    research, scenes = slow.research_s - fast.research_s, slow.scenes_s - fast.scenes_s
    waited = research + scenes
    verdict = "ok" if waited <= TARGET_S else "OVER TARGET"
    print(
        f"time spent waiting: {waited:5.1f} s (research {research:+.1f} s, scenes {scenes:+.1f} s)"
        f"   target: <= ~{TARGET_S:g} s   {verdict}"
    )
    # Only those phases ask the fakes; the whole run's difference adds the render's noise to them.
    print(f"whole-run wall difference: {slow.wall_s - fast.wall_s:+.1f} s (noisier: it includes the render)")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
