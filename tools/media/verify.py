"""Check a finished video: streams, size, rate, duration, audible audio, loudness and non-black frames."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from tools.errors import VerificationFailed
from tools.media.ffmpeg import run_ffmpeg

_RANGES = {0: "unknown", 1: "tv", 2: "pc"}
_SPACES = {
    0: "rgb",
    1: "bt709",
    2: "unknown",
    4: "fcc",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    9: "bt2020nc",
    10: "bt2020c",
}
_SILENT_DB = -45.0
_BLACK_MEAN, _BLACK_STD = 20.0, 5.0
_BORDER = 0.02  # border strips are 2 % of the frame's width or height


@dataclass(frozen=True)
class VideoProbe:
    """What PyAV reads back from a video file."""

    video_codec: str
    width: int
    height: int
    fps: float
    duration_s: float
    pix_fmt: str
    audio_codec: str | None
    audio_channels: int
    audio_rate: int
    mean_volume_db: float
    color_range: str
    color_space: str


def _open(path: Path) -> av.container.InputContainer:
    """Open a media file for reading, turning failures into one-line errors."""
    if not Path(path).is_file():
        raise VerificationFailed(f"video not found: {path}; render it again")
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise VerificationFailed(f"cannot open video {path}: {exc}; render it again") from exc


def probe_video(path: Path) -> VideoProbe:
    """Read codecs, size, rate, duration, colour tags and the audio's RMS level with PyAV."""
    with _open(path) as container:
        if not container.streams.video:
            raise VerificationFailed(f"{path} has no video stream; render it again")
        video = container.streams.video[0]
        cc = video.codec_context
        rate = video.average_rate or video.guessed_rate or video.base_rate
        if container.duration is not None:
            duration = container.duration / 1_000_000
        elif video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        else:
            duration = 0.0
        audio_codec, channels, audio_rate, mean_db = None, 0, 0, -math.inf
        if container.streams.audio:
            audio = container.streams.audio[0]
            audio_codec = audio.codec_context.name
            channels = audio.codec_context.channels
            audio_rate = audio.rate or 0
            mean_db = _mean_volume(container)
        return VideoProbe(
            video_codec=cc.name,
            width=cc.width,
            height=cc.height,
            fps=float(rate) if rate else 0.0,
            duration_s=float(duration),
            pix_fmt=cc.pix_fmt or "",
            audio_codec=audio_codec,
            audio_channels=channels,
            audio_rate=audio_rate,
            mean_volume_db=mean_db,
            color_range=_RANGES.get(int(cc.color_range), str(cc.color_range)),
            color_space=_SPACES.get(int(cc.colorspace), str(cc.colorspace)),
        )


def _mean_volume(container: av.container.InputContainer) -> float:
    """RMS of every decoded sample of the first audio stream, in dBFS."""
    total, count = 0.0, 0
    for frame in container.decode(audio=0):
        samples = np.asarray(frame.to_ndarray())
        flat = samples.astype(np.float64).ravel()
        if samples.dtype.kind in "iu":
            # Integer PCM: centre unsigned 8-bit and scale so full scale is 1.0, as float decoders output.
            half = float(2 ** (8 * samples.dtype.itemsize - 1))
            flat = (flat - half if samples.dtype.kind == "u" else flat) / half
        total += float(np.dot(flat, flat))
        count += flat.size
    if count == 0 or total <= 0:
        return -math.inf
    return 10 * math.log10(total / count)


def measure_loudness(path: Path, ffmpeg: str) -> float:
    """Integrated loudness of a file's audio in LUFS, from ffmpeg's ebur128 summary."""
    stderr = run_ffmpeg(
        ffmpeg, ["-nostats", "-i", str(path), "-vn", "-af", "ebur128=framelog=quiet", "-f", "null", "-"]
    )
    found = re.findall(r"\bI:\s+(-?[\d.]+|-inf|nan) LUFS", stderr)
    if not found:
        raise VerificationFailed(f"ebur128 printed no loudness for {path}; check that the file has audio")
    value = found[-1]
    return -math.inf if value in {"-inf", "nan"} else float(value)


def _luma_plane(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The frame's Y plane as stored (limited range stays 16..235), cropped to the picture width."""
    if frame.format.name not in {"yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12"}:
        frame = frame.reformat(format="yuv420p")
    plane = frame.planes[0]
    rows: NDArray[np.uint8] = np.frombuffer(memoryview(plane), np.uint8)
    return rows.reshape(plane.height, plane.line_size)[:, : plane.width]


def _frame_stats(luma: NDArray[np.uint8]) -> tuple[float, float, float, float]:
    """Mean and std of the picture, and mean and std of its darkest edge strip."""
    h, w = luma.shape
    bh, bw = max(2, round(h * _BORDER)), max(2, round(w * _BORDER))
    strips = [luma[:bh], luma[-bh:], luma[:, :bw], luma[:, -bw:]]
    means = [float(s.mean()) for s in strips]
    darkest = int(np.argmin(means))
    return float(luma.mean()), float(luma.std()), means[darkest], float(strips[darkest].std())


def _sample_frames(path: Path, points: int) -> list[tuple[float, float, float, float]]:
    """Seek to `points` evenly spaced times and return _frame_stats for the keyframe each seek lands on.

    Taking the keyframe instead of decoding on to the exact time costs one decode per point instead of up to
    a whole GOP (250 frames at x264's default), and a black picture shows on keyframes just as well.
    """
    out: list[tuple[float, float, float, float]] = []
    with _open(path) as container:
        if not container.streams.video:
            raise VerificationFailed(f"{path} has no video stream; render it again")
        video = container.streams.video[0]
        duration = (container.duration or 0) / 1_000_000
        for i in range(points):
            at = duration * (i + 0.5) / points
            container.seek(
                max(0, int(at / video.time_base)) if video.time_base else 0, stream=video, backward=True
            )
            frame = next(container.decode(video), None)
            if frame is not None:
                out.append(_frame_stats(_luma_plane(frame)))
    return out


def frame_luma_stats(path: Path, points: int = 8) -> list[tuple[float, float, float]]:
    """(luma mean, luma std, border luma mean) at `points` evenly spaced times; border: darkest edge strip."""
    return [(mean, std, border) for mean, std, border, _ in _sample_frames(path, points)]


def verify_video(
    path: Path,
    ffmpeg: str,
    expected_width: int,
    expected_height: int,
    expected_duration_s: float,
    tolerance: float = 0.15,
    target_lufs: float = -14.0,
    fps: float = 30.0,
) -> tuple[VideoProbe, float, list[str]]:
    """Probe, measure loudness and sample frames; return them with a list of problems (empty when fine)."""
    probe = probe_video(path)
    problems: list[str] = []
    if probe.video_codec != "h264":
        problems.append(f"video codec is {probe.video_codec}, expected h264")
    if probe.audio_codec is None:
        problems.append("there is no audio stream")
    elif probe.audio_codec != "aac":
        problems.append(f"audio codec is {probe.audio_codec}, expected aac")
    if (probe.width, probe.height) != (expected_width, expected_height):
        problems.append(f"size is {probe.width}x{probe.height}, expected {expected_width}x{expected_height}")
    if abs(probe.fps - fps) > 0.01:
        problems.append(f"frame rate is {probe.fps:g} fps, expected {fps:g}")
    # tolerance is relative, as the timeline's is; a tenth of a second is always allowed for AAC padding.
    allowed = max(0.1, tolerance * expected_duration_s)
    if abs(probe.duration_s - expected_duration_s) > allowed:
        problems.append(f"duration is {probe.duration_s:.2f} s, expected {expected_duration_s:.2f} s")
    loudness = -math.inf
    if probe.audio_codec is not None:
        if probe.mean_volume_db <= _SILENT_DB:
            problems.append(f"the audio is silent (mean volume {probe.mean_volume_db:.1f} dBFS)")
        loudness = measure_loudness(path, ffmpeg)
        if not abs(loudness - target_lufs) <= 1.5:
            problems.append(f"loudness is {loudness:.1f} LUFS, expected {target_lufs:.1f} +/- 1.5")
    black, bars = [], []
    samples = _sample_frames(path, 8)
    duration = probe.duration_s
    for i, (mean, std, border, border_std) in enumerate(samples):
        at = duration * (i + 0.5) / len(samples)
        if mean < _BLACK_MEAN and std < _BLACK_STD:
            black.append(at)
        # A bar is a flat, video-black strip in an otherwise visible picture.
        elif border < _BLACK_MEAN and border_std < 3.0 and mean > border + 8.0:
            bars.append(at)
    if black:
        problems.append("black frames at " + ", ".join(f"{t:.1f} s" for t in black))
    if bars:
        problems.append("black border bars at " + ", ".join(f"{t:.1f} s" for t in bars))
    return probe, loudness, problems
