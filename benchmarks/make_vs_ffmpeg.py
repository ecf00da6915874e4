"""Measure `reelforge make` (60 s, 9:16) against a bare x264 encode of the same frames, in one run.

Two runs, each against its own floor:
- photographs: scene pictures from the open-media tier, served by the local Openverse and Commons fakes
  (tests/servers/open_media.py, scikit-image's photographs), started in this process;
- cards: the flat offline cards (no image provider answers).

Research is off in both (REELFORGE_RESEARCH=off), and text and speech are pinned to the offline tier
(benchmarks/bench_env.py), so only the video is measured. The floor is what x264
alone costs for the frames our video contains: ffmpeg decodes our MP4 and re-encodes it with the same
settings (libx264, veryfast, crf 23, yuv420p, 30 fps). Decoding is not part of our pipeline, so it is timed
separately and subtracted from the floor. CPU seconds are the measure (wall time is noisy on a shared
machine); they include every child process the make runs (ffmpeg, the voice).

    .venv/bin/python benchmarks/make_vs_ffmpeg.py [--duration 60] [--voice joe] [--only photos|cards]

Targets (CPU): photographs <= 1.3x, cards <= 1.5x (x264 is cheap on flat cards), within 600 MB.
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_env import make_env  # noqa: E402
from tests.servers.open_media import (  # noqa: E402
    MORE_PHOTOS,
    PHOTOS,
    CommonsServer,
    OpenverseServer,
    photo_jpeg,
)

TARGETS = {"photos": 1.3, "cards": 1.5}
RSS_TARGET_MB = 600


@dataclass
class Timing:
    """One process's cost."""

    wall_s: float
    cpu_s: float
    rss_mb: float
    stdout: str


@dataclass
class Result:
    """One make and its x264 floor."""

    label: str
    make: Timing
    floor_wall_s: float
    floor_cpu_s: float
    decode_wall_s: float
    floor_rss_mb: float
    images: str

    @property
    def cpu_ratio(self) -> float:
        """The make's CPU over the floor's."""
        return self.make.cpu_s / self.floor_cpu_s

    @property
    def wall_ratio(self) -> float:
        """The make's wall time over the floor's."""
        return self.make.wall_s / self.floor_wall_s


def timed(cmd: list[str], env: dict[str, str] | None = None) -> Timing:
    """Run a command, reaped with wait4: wall s, CPU s (with its children's), peak RSS in MB, stdout."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"command failed: {' '.join(cmd)}\n{err.read().decode()[-2000:]}")
    return Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out)


@contextmanager
def photo_servers() -> Iterator[dict[str, str]]:
    """Openverse and Commons fakes in this process; yields the environment that points a make at them."""
    for name in PHOTOS + MORE_PHOTOS:
        photo_jpeg(name)  # encoded once before timing, so the fakes answer at once
    with OpenverseServer() as openverse, CommonsServer() as commons:
        # As the real search does (20 a page), Openverse has a picture for every scene.
        openverse.photos = PHOTOS + MORE_PHOTOS
        yield {"OPENVERSE_URL": openverse.url, "COMMONS_URL": commons.url}


def measure(label: str, env: dict[str, str], args: argparse.Namespace, tmp: Path) -> Result:
    """One make, then the bare x264 encode of its frames."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    make_cmd = [
        sys.executable,
        "-m",
        "graph.cli",
        "make",
        "the history of coffee",
        "--duration",
        str(args.duration),
        "--voice",
        args.voice,
        "--run-id",
        f"bench-{label}",
        "--json",
    ]
    make = timed(make_cmd, env)
    summary = json.loads(make.stdout)
    video = summary["video"]
    report = json.loads(Path(summary["report"]).with_suffix(".json").read_text())
    tiers = sorted({v for k, v in report["tiers"].items() if k.startswith("images")})

    decode = timed([ffmpeg, "-v", "error", "-i", video, "-an", "-f", "null", "-"])
    encode_cmd = [
        ffmpeg,
        "-v",
        "error",
        "-i",
        video,
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-r",
        "30",
        "-y",
        str(tmp / f"floor-{label}.mp4"),
    ]
    floor = timed(encode_cmd)
    return Result(
        label,
        make,
        max(0.001, floor.wall_s - decode.wall_s),
        max(0.001, floor.cpu_s - decode.cpu_s),
        decode.wall_s,
        floor.rss_mb,
        ", ".join(tiers),
    )


def report(result: Result, args: argparse.Namespace) -> None:
    """Print one run's figures, its ratios and its target."""
    make, target = result.make, TARGETS[result.label]
    verdict = "ok" if result.cpu_ratio <= target and make.rss_mb <= RSS_TARGET_MB else "OVER TARGET"
    print(f"[{result.label}] pictures from {result.images}")
    print(
        f"  reelforge make ({args.duration} s, 1080x1920, voice {args.voice}):"
        f" {make.wall_s:6.1f} s wall, {make.cpu_s:6.1f} CPU-s, peak RSS {make.rss_mb:5.0f} MB"
    )
    print(
        f"  bare x264 encode of the same frames:      {result.floor_wall_s:6.1f} s wall,"
        f" {result.floor_cpu_s:6.1f} CPU-s (decode {result.decode_wall_s:.1f} s subtracted),"
        f" peak RSS {result.floor_rss_mb:5.0f} MB"
    )
    print(
        f"  ratio (CPU): {result.cpu_ratio:.2f}x   ratio (wall): {result.wall_ratio:.2f}x"
        f"   target: CPU <= {target}x within {RSS_TARGET_MB} MB   {verdict}"
    )


def main() -> None:
    """Run the photographic and the cards make, print each one's times and ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--voice", default="joe")
    parser.add_argument("--only", choices=sorted(TARGETS), help="run one of the two only")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.only in (None, "photos"):
            with photo_servers() as urls:
                env = make_env(
                    tmp / "home-photos", ["openverse", "commons", "offline"], REELFORGE_RESEARCH="off", **urls
                )
                results.append(measure("photos", env, args, tmp))
        if args.only in (None, "cards"):
            env = make_env(tmp / "home-cards", ["offline"], REELFORGE_RESEARCH="off")
            results.append(measure("cards", env, args, tmp))
    for result in results:
        report(result, args)
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
