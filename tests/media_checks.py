"""Independent checks of a finished MP4 for the tests: PyAV for streams, ffmpeg for loudness."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np


@dataclass
class Measured:
    """What the tests measured in a video file."""

    video_codec: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    duration_s: float
    audio_codec: str
    mean_volume_db: float
    integrated_lufs: float
    min_luma: float


def measure(path: Path) -> Measured:
    """Read streams with PyAV and loudness with ffmpeg's ebur128 and volumedetect filters."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        duration = float(container.duration or 0) / 1e6
        lumas = []
        for number, frame in enumerate(container.decode(video=0)):
            if number % 15 == 0:
                lumas.append(float(frame.to_ndarray(format="gray").mean()))
        info = (video.codec_context.name, video.codec_context.pix_fmt, video.width, video.height)
        fps = float(video.average_rate)
        audio_codec = audio.codec_context.name
    proc = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "volumedetect,ebur128",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    mean_volume = float(re.search(r"mean_volume:\s*(-?[\d.]+) dB", proc.stderr).group(1))
    integrated = float(re.findall(r"I:\s*(-?[\d.]+) LUFS", proc.stderr)[-1])
    return Measured(
        video_codec=info[0],
        pix_fmt=info[1],
        width=info[2],
        height=info[3],
        fps=fps,
        duration_s=duration,
        audio_codec=audio_codec,
        mean_volume_db=mean_volume,
        integrated_lufs=integrated,
        min_luma=float(np.min(lumas)),
    )
