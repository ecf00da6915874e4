"""Where text may go on a frame, for every aspect, in one place: the header, the content and the captions.

A vertical video is watched inside an app that draws over it: a top bar (tabs, the search icon), a column
of buttons down the right side (like, comment, share), and the caption, handle and sound name over the
bottom fifth. Text kept inside `inner` is never under them. Wide and square videos only keep the usual
title-safe margin, and stay clear of the player's controls at the bottom.

The three text boxes never overlap: the header (the title, the "n / N" counter and the progress bar) at the
top of `inner`, the caption band at its bottom (two caption lines at the video's one caption size), and the
content (a card's headline, figure or list; a product's picture) between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from tools.images.fonts import font_for

# Shares of the frame that stay clear of the platforms' overlays (left, top, right, bottom).
VERTICAL_CLEAR = (0.06, 0.08, 0.14, 0.20)
WIDE_CLEAR = (0.05, 0.05, 0.05, 0.10)
SQUARE_CLEAR = (0.06, 0.06, 0.06, 0.10)

# The most characters a caption line holds; narrower frames hold fewer so the type stays large.
CAPTION_MAX_LINES = 2
_CAPTION_CHARS = {"vertical": 28, "wide": 42, "square": 32}
# DejaVu Sans Bold's average advance on running text, in ems (measured: 0.58-0.60; kept a little wide).
_AVERAGE_ADVANCE_EM = 0.62
_CAPTION_PAD_X_EM = 0.45
_CAPTION_PAD_Y_EM = 0.32
_CAPTION_LINE_EM = 1.22
_HEADER_SHARE = 0.075  # of the short side
_GAP_SHARE = 0.03  # of the short side, between the header, the content and the captions


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: left and top inclusive, right and bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre_x(self) -> float:
        return (self.left + self.right) / 2

    def contains(self, other: Box) -> bool:
        """Whether `other` lies wholly inside this box."""
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share any pixel."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


@dataclass(frozen=True)
class SafeAreas:
    """The text areas of one frame size; see the module's docstring."""

    width: int
    height: int
    shape: str  # "vertical", "wide" or "square"
    inner: Box
    header: Box
    content: Box
    captions: Box
    caption_font_px: int
    caption_max_chars: int
    caption_line_px: int
    caption_pad_x: int
    caption_pad_y: int

    def caption_fits(self, line: str) -> bool:
        """Whether `line` fits the caption box's width at the video's caption size (with its outline)."""
        font = font_for(line, self.caption_font_px)
        return font.getlength(line) + 2 * caption_stroke(self.caption_font_px) <= self.caption_room

    @property
    def caption_room(self) -> int:
        """Width in pixels a caption line may take inside its box."""
        return self.captions.width - 2 * self.caption_pad_x


def caption_stroke(font_px: int) -> int:
    """Width of the dark outline around caption letters."""
    return max(2, round(font_px / 12))


def _shape(width: int, height: int) -> str:
    if height > width * 1.1:
        return "vertical"
    if width > height * 1.1:
        return "wide"
    return "square"


def _even(value: float) -> int:
    """Round to an even pixel: chroma is subsampled 2x2, so overlays start and end on even pixels."""
    return int(round(value / 2)) * 2


@lru_cache(maxsize=16)
def safe_areas(width: int, height: int) -> SafeAreas:
    """The text areas of a width x height frame (any size: a preview's third-size frame scales with it)."""
    shape = _shape(width, height)
    left, top, right, bottom = {"vertical": VERTICAL_CLEAR, "wide": WIDE_CLEAR, "square": SQUARE_CLEAR}[shape]
    inner = Box(
        _even(width * left), _even(height * top), _even(width * (1 - right)), _even(height * (1 - bottom))
    )
    short = min(width, height)
    gap = max(2, _even(short * _GAP_SHARE))
    header = Box(inner.left, inner.top, inner.right, inner.top + max(8, _even(short * _HEADER_SHARE)))

    max_chars = _CAPTION_CHARS[shape]
    font_px = max(8, math.floor(inner.width / (max_chars * _AVERAGE_ADVANCE_EM + 2 * _CAPTION_PAD_X_EM)))
    line_px = round(font_px * _CAPTION_LINE_EM)
    pad_x, pad_y = round(font_px * _CAPTION_PAD_X_EM), round(font_px * _CAPTION_PAD_Y_EM)
    band = _even(CAPTION_MAX_LINES * line_px + 2 * pad_y + 1)
    captions = Box(inner.left, inner.bottom - band, inner.right, inner.bottom)
    content = Box(inner.left, header.bottom + gap, inner.right, captions.top - gap)
    return SafeAreas(
        width=width,
        height=height,
        shape=shape,
        inner=inner,
        header=header,
        content=content,
        captions=captions,
        caption_font_px=font_px,
        caption_max_chars=max_chars,
        caption_line_px=line_px,
        caption_pad_x=pad_x,
        caption_pad_y=pad_y,
    )
