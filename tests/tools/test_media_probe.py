"""Probing a music file before a run: decodable audio of sane length, or one line naming the file."""

from __future__ import annotations

import math
import os
import random
import struct
import wave
from pathlib import Path

import pytest

from tools.errors import BadInput
from tools.media.probe import probe_audio


def _tone(path: Path, seconds: float, rate: int = 8000) -> Path:
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def test_a_real_tone_is_audio_with_its_length(tmp_path: Path) -> None:
    assert probe_audio(_tone(tmp_path / "tone.wav", 2.0)) == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("random.mp3", random.Random(9).randbytes(1 << 16), "is not audio that can be decoded"),
        ("random-small.mp3", random.Random(10).randbytes(5000), "is not audio that can be decoded"),
        ("empty.mp3", b"", "is empty"),
        ("list.mp3", b"eggs, milk, flour\n" * 40, "is not audio that can be decoded"),
        ("header-only.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "is not audio that can be decoded"),
    ],
)
def test_files_that_are_not_audio_fail_in_one_line(
    tmp_path: Path, name: str, content: bytes, needle: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput, match=needle) as caught:
        probe_audio(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and "; give an audio file" in message


def test_folders_pipes_devices_and_missing_files_are_named(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp3")
    (tmp_path / "folder.mp3").mkdir()
    cases = {
        tmp_path / "folder.mp3": "is a folder",
        tmp_path / "pipe.mp3": "is not a regular file",
        Path("/dev/zero"): "is not a regular file",
        tmp_path / "missing.mp3": "music file not found",
        tmp_path / "pipe.mp3" / "under-a-file.mp3": "music file not found",
    }
    for path, needle in cases.items():
        with pytest.raises(BadInput, match=needle):
            probe_audio(path)


def test_too_short_and_too_long(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"is only 0\.20 s of audio"):
        probe_audio(_tone(tmp_path / "blip.wav", 0.2))
    # The header says 3.5 hours of 8 kHz audio; the file is sparse, so it costs no disk.
    size = 100_000_000
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + struct.pack("<I", size)
    long = tmp_path / "album.wav"
    with open(long, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + size)
    with pytest.raises(BadInput, match="3.5 hours long; music must be under 3 hours"):
        probe_audio(long)


def test_a_video_without_sound_has_no_audio_stream(tmp_path: Path) -> None:
    import av
    import numpy as np

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(BadInput, match=r"has no audio stream \(it holds video\)"):
        probe_audio(path)
