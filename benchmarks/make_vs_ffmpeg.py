"""Measure `reelforge make` (60 s, 9:16) against a bare x264 encode of the same frames, in one run.

The floor is what x264 alone costs for the frames our video contains: ffmpeg decodes our MP4 and
re-encodes it with the same settings (libx264, veryfast, crf 23, yuv420p, 30 fps). Decoding is not
part of our pipeline, so it is timed separately and subtracted from the floor.

    .venv/bin/python benchmarks/make_vs_ffmpeg.py [--duration 60] [--voice joe]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Run a command; return wall seconds, CPU seconds, peak RSS in MB, and stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(cmd)}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, out


def main() -> None:
    """Run both, print both times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--voice", default="joe")
    args = parser.parse_args()

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REELFORGE_HOME": str(Path(tmp) / "home")}
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
            "--json",
        ]
        make_wall, make_cpu, make_rss, out = timed(make_cmd, env)
        video = json.loads(out)["video"]

        decode_wall, decode_cpu, _, _ = timed([ffmpeg, "-v", "error", "-i", video, "-an", "-f", "null", "-"])
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
            str(Path(tmp) / "floor.mp4"),
        ]
        floor_wall, floor_cpu, floor_rss, _ = timed(encode_cmd)

    floor_wall_net = max(0.001, floor_wall - decode_wall)
    floor_cpu_net = max(0.001, floor_cpu - decode_cpu)
    print(
        f"reelforge make ({args.duration} s, 1080x1920, voice {args.voice}):"
        f" {make_wall:6.1f} s wall, {make_cpu:6.1f} CPU-s, peak RSS {make_rss:5.0f} MB"
    )
    print(
        f"bare x264 encode of the same frames:      {floor_wall_net:6.1f} s wall, {floor_cpu_net:6.1f} CPU-s"
        f" (decode {decode_wall:.1f} s subtracted), peak RSS {floor_rss:5.0f} MB"
    )
    print(
        f"ratio (wall): {make_wall / floor_wall_net:.2f}x   ratio (CPU): {make_cpu / floor_cpu_net:.2f}x"
        f"   target: <= 1.3x within 600 MB"
    )
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
