"""Captions in the video's one caption style: the safe areas' fixed size, in a box bottom-aligned in the
caption band, white bold letters with a dark outline, and optionally the word being spoken in yellow.

A cue never shrinks to fit: a line too wide for the band (cues not made by build_cues) wraps by pixels, and
a cue that then has more lines than the band holds is shown a page (two lines) at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from tools.images.fonts import drawable_lines, drawable_text, font_for, wrap_text
from tools.images.safe_areas import SafeAreas, caption_stroke
from tools.media.layers import even_down, even_up
from tools.media.subtitles import Cue, CueWord
from tools.text.line_breaks import join_lines

TEXT_COLOUR = (255, 255, 255)
HIGHLIGHT_COLOUR = (255, 226, 0)  # a bright yellow: the word being spoken, in "words" captions
OUTLINE_COLOUR = (0, 0, 0)
BOX_COLOUR = (0, 0, 0, 140)

U8 = NDArray[np.uint8]


@dataclass(frozen=True)
class WordSpot:
    """Where a cue's word is drawn (its page, its line on the page, its characters there) and when it is
    spoken."""

    page: int
    line: int
    start: int
    end: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class CaptionLayout:
    """A cue laid out once in the video's caption style: its pages of lines, their font, its words' spots."""

    areas: SafeAreas
    font: ImageFont.FreeTypeFont
    pages: tuple[tuple[str, ...], ...]
    page_ends_s: tuple[float, ...]
    spots: tuple[WordSpot, ...]


def lay_out_caption(cue: Cue, areas: SafeAreas) -> CaptionLayout:
    """Lay a cue out at `areas.caption_font_px`: its drawable lines, wrapped by pixels only where a line is
    too wide for the band, split into pages of as many lines as the band holds, and its words located."""
    # Emoji and other characters no shipped font has are left out; the run reports them (missing_glyphs).
    given = [line for line in drawable_lines(cue.lines) if line]
    lines = given or [" "]
    font = font_for(" ".join(lines), areas.caption_font_px)
    room = areas.caption_room - 2 * caption_stroke(areas.caption_font_px)
    if max(font.getlength(line) for line in lines) > room:
        lines = wrap_text(join_lines(lines), font, room)
    per_page = lines_per_page(areas)
    pages = tuple(tuple(lines[i : i + per_page]) for i in range(0, len(lines), per_page))
    kept = lines == list(cue.lines)
    spots = _locate_words(cue.words, lines, per_page, kept)
    return CaptionLayout(areas, font, pages, _page_ends(pages, cue.start_s, cue.end_s), spots)


def lines_per_page(areas: SafeAreas) -> int:
    """How many caption lines the caption band holds at the video's caption size."""
    return max(1, (areas.captions.height - 2 * areas.caption_pad_y) // areas.caption_line_px)


def _page_ends(pages: Sequence[Sequence[str]], start_s: float, end_s: float) -> tuple[float, ...]:
    """When each page gives way to the next: the cue's time shared in proportion to the pages' characters."""
    sizes = [sum(len(line) for line in page) + 1 for page in pages]
    total, ends, done = sum(sizes), [], 0
    for size in sizes:
        done += size
        ends.append(start_s + (end_s - start_s) * done / total)
    return tuple(ends)


def _locate_words(
    words: Sequence[CueWord], lines: Sequence[str], per_page: int, kept: bool
) -> tuple[WordSpot, ...]:
    """Find each word in the drawn lines, in order: at its own line and offset when the lines are the cue's
    own, else by searching on from the previous word. A word not found (cut by a wrap) is left out."""
    spots = []
    cursor = (0, 0)
    for word in words:
        target = drawable_text(word.text)
        if not target:
            continue
        found: tuple[int, int] | None = None
        if kept and 0 <= word.line < len(lines) and (word.line, word.offset) >= cursor:
            if lines[word.line][word.offset : word.offset + len(target)] == target:
                found = (word.line, word.offset)
        if found is None:
            for index in range(cursor[0], len(lines)):
                at = lines[index].find(target, cursor[1] if index == cursor[0] else 0)
                if at >= 0:
                    found = (index, at)
                    break
        if found is None:
            continue
        index, at = found
        spots.append(
            WordSpot(
                index // per_page,
                index % per_page,
                at,
                at + len(target),
                float(word.start_s),
                float(word.end_s),
            )
        )
        cursor = (index, at + len(target))
    return tuple(spots)


def caption_at(layout: CaptionLayout, t: float, highlight: bool) -> tuple[int, int | None]:
    """The page on show at time t and the index (in `layout.spots`) of the word to highlight, if any.

    With word timings the page is the one of the word spoken last; without, pages share the cue's time.
    A word is highlighted only while it is spoken (and only if `highlight`): between words, none is.
    """
    spoken = [i for i, spot in enumerate(layout.spots) if spot.start_s <= t]
    if layout.spots:
        page = layout.spots[spoken[-1]].page if spoken else layout.spots[0].page
    else:
        page = next((i for i, end in enumerate(layout.page_ends_s) if t < end), len(layout.pages) - 1)
    if highlight and spoken and t < layout.spots[spoken[-1]].end_s:
        return page, spoken[-1]
    return page, None


def draw_caption(layout: CaptionLayout, page: int, spot: int | None = None) -> tuple[U8, int, int]:
    """Draw one page of a caption, with the word `layout.spots[spot]` highlighted if given, as an RGBA
    box and its even (left, top) on the frame: centred on the caption band, on its bottom edge."""
    return CaptionPainter(layout).draw(page, spot)


class CaptionPainter:
    """Draws a laid-out cue's pages and highlighted words, drawing each line's letters once.

    A highlight changes only the word's fill colour: the letters are white over a black outline, so a
    pixel's colour is the fill's share of it times white, and the same pixel drawn in yellow is that share
    times yellow. Recolouring the word's columns of its line's drawing gives exactly what drawing it in
    yellow would, and nothing can move or re-wrap.
    """

    def __init__(self, layout: CaptionLayout) -> None:
        """Prepare to draw `layout`; pages are drawn on first use."""
        self.layout = layout
        self._pages: dict[int, tuple[list[U8], list[float], int]] = {}

    def _page(self, page: int) -> tuple[list[U8], list[float], int]:
        """Each line of a page drawn alone on a transparent box, where the lines start, the box's width."""
        cached = self._pages.get(page)
        if cached is not None:
            return cached
        areas, font = self.layout.areas, self.layout.font
        lines = self.layout.pages[page]
        stroke = caption_stroke(areas.caption_font_px)
        pad_y, line_px = areas.caption_pad_y, areas.caption_line_px
        lengths = [font.getlength(line) for line in lines]
        box_w = min(
            areas.captions.width, even_up(math.ceil(max(lengths)) + 2 * stroke + 2 * areas.caption_pad_x)
        )
        box_h = even_up(len(lines) * line_px + 2 * pad_y)
        starts = [(box_w - length) / 2 for length in lengths]
        drawn = []
        for index, line in enumerate(lines):
            image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
            ImageDraw.Draw(image).text(
                (starts[index], pad_y + line_px * (index + 0.5)),
                line,
                font=font,
                fill=(*TEXT_COLOUR, 255),
                anchor="lm",
                stroke_width=stroke,
                stroke_fill=(*OUTLINE_COLOUR, 255),
            )
            drawn.append(np.asarray(image))
        self._pages[page] = cached = (drawn, starts, box_w)
        return cached

    def draw(self, page: int, spot: int | None = None) -> tuple[U8, int, int]:
        """One page as an RGBA box and its even (left, top) on the frame, word `spot` in yellow if given."""
        areas = self.layout.areas
        drawn, starts, box_w = self._page(page)
        box_h = drawn[0].shape[0]
        layers = list(drawn)
        if spot is not None:
            where = self.layout.spots[spot]
            if where.page != page:
                raise ValueError(f"word {spot} is on page {where.page}, not {page}")
            line = self.layout.pages[page][where.line]
            left, right = _word_columns(
                self.layout.font, line, where.start, where.end, box_w, starts[where.line]
            )
            recoloured = drawn[where.line].copy()
            strip = recoloured[:, left:right, :3].astype(np.uint16) * np.array(HIGHLIGHT_COLOUR, np.uint16)
            recoloured[:, left:right, :3] = (strip + 127) // 255
            layers[where.line] = recoloured
        card = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        radius = round(areas.caption_font_px * 0.3)
        ImageDraw.Draw(card).rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=radius, fill=BOX_COLOUR)
        for layer in layers:
            card.alpha_composite(Image.fromarray(layer))
        # Both edges are even, so the even-sized box stays inside the band; an even band has a whole centre_x.
        band = areas.captions
        left = max(band.left, min(band.right - box_w, even_down(round(band.centre_x - box_w / 2))))
        top = even_down(band.bottom - box_h)
        return np.asarray(card), left, top


def _word_columns(
    font: ImageFont.FreeTypeFont, line: str, start: int, end: int, box_w: int, x: float
) -> tuple[int, int]:
    """The box's columns that belong to line[start:end]: out to the middle of the spaces either side (to
    the box's edge for a line's first or last word), so a glyph's outline or overhang is never cut."""
    before, after = line[:start], line[end:]
    if before.strip():
        left = x + (font.getlength(before.rstrip()) + font.getlength(before)) / 2
    else:
        left = 0.0
    if after.strip():
        gap = after[: len(after) - len(after.lstrip())]
        right = x + (font.getlength(line[:end]) + font.getlength(line[:end] + gap)) / 2
    else:
        right = float(box_w)
    return max(0, round(left)), min(box_w, round(right))
