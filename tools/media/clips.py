"""Play a video clip as a scene: decoded on the fly, scaled to cover the frame and centre-cropped, at the
output's frame rate, trimmed to the scene when longer and looped, with a crossfade at the seam, when shorter.

Memory stays bounded whatever the clip's length: a reader holds the frame on show and the next one, and a
loop uses two readers (the pass that is ending and the one that is starting), never a buffer of frames.
Planes stay yuv420p from the decoder to the encoder; a full-range source is brought to limited range.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from tools.errors import BadInput

CLIP_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv"})
# The crossfade where a looped clip's end meets its start again (at most a quarter of the clip).
LOOP_FADE_S = 0.4
HOLD_S = 0.1

U8 = NDArray[np.uint8]
Planes = tuple[U8, U8, U8]


def is_clip(path: Path) -> bool:
    """Whether a scene's file is a video clip (played) rather than a still (panned)."""
    return Path(path).suffix.lower() in CLIP_SUFFIXES


def _unreadable(path: Path, error: Exception) -> BadInput:
    return BadInput(f"cannot read scene clip {path}: {error}; make the scene's picture again")


def packet_span(container: Any, stream: Any) -> tuple[int | None, int]:
    """The first packet's timestamp and the last one's end, in the stream's time base (no decoding)."""
    first, end = None, 0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        first = packet.pts if first is None else min(first, packet.pts)
        end = max(end, packet.pts + (packet.duration or 0))
    return first, end


def clip_seconds(path: Path) -> float:
    """A clip's length from its packets' timestamps (no decoding), in seconds."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInput(f"scene clip {path} has no video stream; make the scene's picture again")
            stream = container.streams.video[0]
            first, end = packet_span(container, stream)
            base = stream.time_base
    except (av.FFmpegError, OSError) as exc:
        raise _unreadable(path, exc) from exc
    if first is None or base is None or end <= first:
        raise BadInput(f"scene clip {path} has no frames; make the scene's picture again")
    return float((end - first) * base)


def _cover_crop(src_w: int, src_h: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The centred source rectangle (x, y, w, h), even-aligned, that has the frame's aspect."""
    if src_w * height > src_h * width:  # wider than the frame: use the full height
        crop_w, crop_h = round(src_h * width / height / 2) * 2, src_h
    else:
        crop_w, crop_h = src_w, round(src_w * height / width / 2) * 2
    crop_w = min(src_w - src_w % 2, max(2, crop_w))
    crop_h = min(src_h - src_h % 2, max(2, crop_h))
    x0 = (src_w - crop_w) // 4 * 2
    y0 = (src_h - crop_h) // 4 * 2
    return x0, y0, crop_w, crop_h


class _Reader:
    """Decodes one clip forward from its start, keeping only the frame on show and the one after it."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.path, self.width, self.height = path, width, height
        self._container: Any = None
        self._frames: Iterator[Any] = iter(())
        self._origin = 0.0
        self._current: tuple[float, Any] | None = None
        self._next: tuple[float, Any] | None = None
        self._planes: Planes | None = None
        self._open()

    def _open(self) -> None:
        self.close()
        try:
            self._container = av.open(str(self.path))
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            self._frames = self._container.decode(stream)
            self._rate = float(stream.average_rate or 30)
            self._count = 0
            self._current = self._read()
        except (av.FFmpegError, OSError, IndexError) as exc:
            raise _unreadable(self.path, exc) from exc
        if self._current is None:
            raise BadInput(f"scene clip {self.path} has no frames; make the scene's picture again")
        self._origin = self._current[0]
        self._current = (0.0, self._current[1])
        self._next = self._read()
        self._planes = None

    def _read(self) -> tuple[float, Any] | None:
        """The next decoded frame and its time from the clip's start (None at the end)."""
        try:
            frame = next(self._frames, None)
        except (av.FFmpegError, OSError) as exc:
            raise _unreadable(self.path, exc) from exc
        if frame is None:
            return None
        self._count += 1
        at = frame.time if frame.time is not None else (self._count - 1) / self._rate
        return float(at) - self._origin, frame

    def at(self, seconds: float) -> Planes:
        """The frame on show `seconds` after the clip's start (the last one past its end), as planes."""
        assert self._current is not None
        if seconds < self._current[0] - 1e-6:
            self._open()  # a new pass of a loop starts from the top
        while self._next is not None and self._next[0] <= seconds + 1e-6:
            self._current, self._next = self._next, self._read()
            self._planes = None
        if self._planes is None:
            assert self._current is not None
            self._planes = self._fitted(self._current[1])
        return self._planes

    def _fitted(self, frame: Any) -> Planes:
        """A decoded frame as limited-range yuv420p planes of the output size, cropped to cover."""
        if frame.format.name != "yuv420p" or frame.color_range == 2:  # 2: full ("jpeg") range
            frame = frame.reformat(format="yuv420p", dst_color_range="MPEG")
        w, h = frame.width - frame.width % 2, frame.height - frame.height % 2
        flat = frame.to_ndarray().reshape(-1)
        fw, fh = frame.width, frame.height
        y = flat[: fw * fh].reshape(fh, fw)
        u = flat[fw * fh : fw * fh * 5 // 4].reshape(fh // 2, fw // 2)
        v = flat[fw * fh * 5 // 4 :].reshape(fh // 2, fw // 2)
        x0, y0, cw, ch = _cover_crop(w, h, self.width, self.height)
        shrink = cw >= self.width
        method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        size, half = (self.width, self.height), (self.width // 2, self.height // 2)
        return (
            np.ascontiguousarray(cv2.resize(y[y0 : y0 + ch, x0 : x0 + cw], size, interpolation=method)),
            np.ascontiguousarray(
                cv2.resize(u[y0 // 2 : (y0 + ch) // 2, x0 // 2 : (x0 + cw) // 2], half, interpolation=method)
            ),
            np.ascontiguousarray(
                cv2.resize(v[y0 // 2 : (y0 + ch) // 2, x0 // 2 : (x0 + cw) // 2], half, interpolation=method)
            ),
        )

    def close(self) -> None:
        """Release the decoder."""
        if self._container is not None:
            self._container.close()
            self._container = None


class ClipPlayer:
    """A clip shown for `length` seconds: trimmed when it is longer, looped when it is shorter, the seam
    between one pass's end and the next pass's start crossfaded over LOOP_FADE_S."""

    def __init__(self, path: Path, width: int, height: int, length: float) -> None:
        self.path, self.width, self.height = Path(path), width, height
        self.duration = clip_seconds(self.path)
        # A clip a moment short of the scene holds its last frame rather than starting a loop it cannot show.
        self.loops = self.duration < length - HOLD_S
        self.fade = min(LOOP_FADE_S, self.duration / 4) if self.loops else 0.0
        # A pass lasts the clip minus the seam, which it shares with the next pass.
        self.period = self.duration - self.fade
        self._readers: list[_Reader] = [_Reader(self.path, width, height)]

    def _reader(self, index: int) -> _Reader:
        while len(self._readers) <= index:
            self._readers.append(_Reader(self.path, self.width, self.height))
        return self._readers[index]

    def draw(self, seconds: float, y: U8, u: U8, v: U8) -> None:
        """Write the picture `seconds` into the scene into the planes."""
        seconds = max(0.0, seconds)
        if not self.loops:
            head = self._reader(0).at(seconds)
            for dst, src in zip((y, u, v), head, strict=True):
                np.copyto(dst, src)
            return
        n = math.floor(seconds / self.period)
        into = seconds - n * self.period
        # Passes alternate between two readers, so the pass that is ending still plays under the seam.
        head = self._reader(n % 2).at(into)
        if n == 0 or into >= self.fade:
            for dst, src in zip((y, u, v), head, strict=True):
                np.copyto(dst, src)
            return
        tail = self._reader((n - 1) % 2).at(into + self.period)
        weight = 0.5 - 0.5 * math.cos(math.pi * into / self.fade)
        for dst, a, b in zip((y, u, v), tail, head, strict=True):
            cv2.addWeighted(a, 1.0 - weight, b, weight, 0.0, dst=dst)

    def close(self) -> None:
        """Release every decoder."""
        for reader in self._readers:
            reader.close()
