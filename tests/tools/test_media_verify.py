"""Tests for video verification and locating ffmpeg, on small real files."""

from __future__ import annotations

import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tools.errors import ReelforgeError, ToolUnavailable, VerificationFailed
from tools.media.audio import build_soundtrack
from tools.media.ffmpeg import FfmpegFailed, find_ffmpeg, run_ffmpeg
from tools.media.render import Segment, render_video
from tools.media.verify import (
    frame_luma_stats,
    measure_loudness,
    probe_video,
    verify_video,
)

W, H, SECONDS = 180, 320, 2.0
SOLID = (200, 60, 40)


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    """The real ffmpeg binary."""
    return find_ffmpeg()


def tone(seconds: float, level: float) -> np.ndarray:
    """A stereo speech-rate modulated tone as planar float32, shape (2, n)."""
    t = np.arange(int(seconds * 48000)) / 48000
    mono = level * np.sin(2 * np.pi * 330 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return np.stack([mono, mono]).astype(np.float32)


def encode(path: Path, picture: Callable[[int], np.ndarray], audio: np.ndarray) -> Path:
    """Write an H.264/AAC MP4 from a yuv420p frame function and planar stereo audio."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.time_base = Fraction(1, 30)
        sound = container.add_stream("aac", rate=48000, layout="stereo")
        for k in range(round(SECONDS * 30)):
            frame = av.VideoFrame.from_ndarray(picture(k), format="yuv420p")
            frame.pts = k
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        for start in range(0, audio.shape[1], 1024):
            samples = np.ascontiguousarray(audio[:, start : start + 1024])
            chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            chunk.sample_rate, chunk.pts = 48000, start
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    return path


def yuv(y: np.ndarray, u: int = 128, v: int = 128) -> np.ndarray:
    """Stack a Y plane and flat chroma into the (h*3/2, w) yuv420p layout."""
    chroma = np.full((H // 4, W), u, np.uint8), np.full((H // 4, W), v, np.uint8)
    return np.concatenate([y.astype(np.uint8), *chroma])


def busy_luma(k: int) -> np.ndarray:
    """A moving gradient with detail, nowhere near black."""
    yy, xx = np.mgrid[0:H, 0:W]
    return np.asarray(60 + ((xx + yy + 3 * k) % 120))


@pytest.fixture(scope="module")
def good_video(tmp_path_factory: pytest.TempPathFactory, ffmpeg: str) -> Path:
    """A short video made by the real pipeline: soundtrack, then render."""
    d = tmp_path_factory.mktemp("good")
    image = Image.new("RGB", (W, H), SOLID)
    ImageDraw.Draw(image).ellipse((20, 40, 160, 180), fill=(250, 250, 250))
    image.save(d / "card.png")
    t = np.arange(int(1.6 * 22050)) / 22050
    voice = 0.3 * np.sin(2 * np.pi * 500 * t) * np.clip(np.sin(2 * np.pi * 4 * t), 0, None)
    with wave.open(str(d / "voice.wav"), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(22050)
        handle.writeframes((voice * 32767).astype("<i2").tobytes())
    soundtrack = build_soundtrack([(d / "voice.wav", 0.2)], SECONDS, d / "st.wav", ffmpeg)
    segments = [Segment(d / "card.png", 0.0, SECONDS, "zoom_in")]
    return render_video(segments, [], soundtrack, d / "good.mp4", W, H)


def test_a_good_video_passes(good_video: Path, ffmpeg: str) -> None:
    probe, loudness, problems = verify_video(good_video, ffmpeg, W, H, SECONDS)
    assert problems == []
    assert loudness == pytest.approx(-14.0, abs=1.0)
    assert probe.mean_volume_db > -45
    assert (probe.video_codec, probe.audio_codec, probe.fps) == ("h264", "aac", 30.0)


def test_wrong_size_and_duration_are_reported(good_video: Path, ffmpeg: str) -> None:
    _, _, problems = verify_video(good_video, ffmpeg, 360, 640, 10.0)
    assert any("size is 180x320, expected 360x640" in p for p in problems)
    assert any(p.startswith("duration is 2.00 s, expected 10.00 s") for p in problems)


def test_an_all_black_video_is_caught(tmp_path: Path, ffmpeg: str) -> None:
    path = encode(tmp_path / "black.mp4", lambda k: yuv(np.full((H, W), 16)), tone(SECONDS, 0.3))
    for mean, std, _border in frame_luma_stats(path):
        assert mean < 20 and std < 5
    _, _, problems = verify_video(path, ffmpeg, W, H, SECONDS)
    assert any(p.startswith("black frames at") for p in problems), problems


def test_a_silent_video_is_caught(tmp_path: Path, ffmpeg: str) -> None:
    path = encode(tmp_path / "silent.mp4", lambda k: yuv(busy_luma(k)), np.zeros((2, 96000), np.float32))
    probe, _, problems = verify_video(path, ffmpeg, W, H, SECONDS)
    assert probe.mean_volume_db <= -45
    assert any("audio is silent" in p for p in problems), problems
    assert not any("black" in p for p in problems)


def test_letterbox_bars_are_caught(tmp_path: Path, ffmpeg: str) -> None:
    def letterboxed(k: int) -> np.ndarray:
        luma = busy_luma(k)
        luma[:40] = 16
        luma[-40:] = 16
        return yuv(luma)

    path = encode(tmp_path / "bars.mp4", letterboxed, tone(SECONDS, 0.3))
    assert all(border < 20 for _, _, border in frame_luma_stats(path, points=4))
    _, _, problems = verify_video(path, ffmpeg, W, H, SECONDS)
    assert any(p.startswith("black border bars at") for p in problems), problems


def test_loudness_is_measured_in_lufs(tmp_path: Path, ffmpeg: str) -> None:
    quiet = encode(tmp_path / "quiet.mp4", lambda k: yuv(busy_luma(k)), tone(SECONDS, 0.02))
    loud = encode(tmp_path / "loud.mp4", lambda k: yuv(busy_luma(k)), tone(SECONDS, 0.2))
    assert measure_loudness(loud, ffmpeg) - measure_loudness(quiet, ffmpeg) == pytest.approx(20.0, abs=0.5)
    _, _, problems = verify_video(quiet, ffmpeg, W, H, SECONDS)
    assert any(p.startswith("loudness is") for p in problems)


def test_unreadable_files_fail_verification(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(VerificationFailed, match="cannot open video"):
        probe_video(bogus)
    with pytest.raises(VerificationFailed, match="video not found"):
        probe_video(tmp_path / "missing.mp4")


def test_reelforge_ffmpeg_pointing_nowhere_says_how_to_install(tmp_path: Path) -> None:
    missing = tmp_path / "no-ffmpeg"
    with pytest.raises(ToolUnavailable) as info:
        find_ffmpeg(str(missing))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"ffmpeg could not be loaded from {missing}: ")
    assert "pip install imageio-ffmpeg" in message and "REELFORGE_FFMPEG" in message

    not_executable = tmp_path / "ffmpeg"
    not_executable.write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(ToolUnavailable, match="not executable"):
        find_ffmpeg(str(not_executable))
    not_executable.chmod(0o755)  # runs, but is not ffmpeg
    with pytest.raises(ToolUnavailable, match="without an ffmpeg banner"):
        find_ffmpeg(str(not_executable))


def test_reelforge_ffmpeg_override_is_used(ffmpeg: str) -> None:
    assert find_ffmpeg(ffmpeg) == ffmpeg


def test_a_failing_ffmpeg_run_raises_one_line(tmp_path: Path, ffmpeg: str) -> None:
    with pytest.raises(FfmpegFailed) as info:
        run_ffmpeg(ffmpeg, ["-i", str(tmp_path / "absent.wav"), "-f", "null", "-"])
    assert isinstance(info.value, ReelforgeError)
    message = str(info.value)
    assert "\n" not in message
    assert "absent.wav" in message and "No such file" in message
