"""The parts a card's text layer is built of (fitted text, pictograms, accent rules, gaps), how text is
fitted to a box, and how parts are stacked one under another."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from PIL import ImageDraw, ImageFont

from tools.images import pictograms
from tools.images.fonts import font_for, wrap_text
from tools.images.palettes import RGB, Palette, contrast_ratio
from tools.images.safe_areas import Box
from tools.text.line_breaks import units

__all__ = [
    "Bar",
    "Gap",
    "Icon",
    "Part",
    "Text",
    "ellipsize",
    "figure_text",
    "fit",
    "fitted_text",
    "ink",
    "part_height",
    "stack",
]


class Text(NamedTuple):
    """Fitted lines of text, drawn in one colour."""

    font: ImageFont.FreeTypeFont
    lines: list[str]
    line_height: int
    colour: RGB


class Icon(NamedTuple):
    """A pictogram on a disc, or bare (a quotation mark) when `bare`."""

    name: str
    diameter: int
    bare: bool = False


class Bar(NamedTuple):
    """The short accent rule under a headline or figure."""

    width: int
    height: int


class Gap(NamedTuple):
    """Empty space between two parts of a card."""

    height: int


Part = Text | Icon | Bar | Gap


def part_height(part: Part) -> int:
    """How much of the stack's height a part takes."""
    if isinstance(part, Text):
        return len(part.lines) * part.line_height
    if isinstance(part, Icon):
        return part.diameter
    return part.height


def ink(palette: Palette) -> RGB:
    """The colour of a pictogram on an accent disc: the end of the gradient that stands out more on it."""
    return max((palette.top, palette.bottom), key=lambda colour: contrast_ratio(colour, palette.accent))


def ellipsize(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """Text cut short with an ellipsis so that it is at most `max_width` pixels wide in `font`."""
    if font.getlength(text) <= max_width:
        return text
    while text and font.getlength(text + "\u2026") > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def fit(
    text: str, bold: bool, start: int, smallest: int, max_width: float, max_height: float, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str], int]:
    """The largest font size from `start` down at which the wrapped text fits the box; returns line height.

    A size that would break a word across lines does not fit: shrinking reads better than "misconce-ptions".
    Chinese and Japanese break between characters, so only their punctuation-bound pairs count as words.
    """
    size = start
    words = [unit.text for unit in units(text)]
    while True:
        font = font_for(text, size, bold)
        lines = wrap_text(text, font, max_width)
        line_height = round(size * 1.18)
        whole_words = all(font.getlength(word) <= max_width for word in words)
        fits = whole_words and len(lines) <= max_lines and len(lines) * line_height <= max_height
        if fits or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    if len(lines) > max_lines or len(lines) * line_height > max_height:
        keep = max(1, min(max_lines, int(max_height // line_height)))
        lines = lines[:keep]
        lines[-1] = ellipsize(lines[-1] + "\u2026", font, max_width)
    return font, lines, line_height


def fitted_text(
    text: str, colour: RGB, bold: bool, start: float, smallest: float, width: float, height: float, lines: int
) -> Text:
    """Text fitted to a box at the largest size from `start` down, as a stack part (empty when the box
    cannot hold one line at the smallest size)."""
    if height < smallest * 1.2:
        return Text(font_for(" ", max(8, round(smallest))), [], 0, colour)
    font, fitted, line_height = fit(
        text, bold, max(8, round(start)), max(8, round(smallest)), width, height, lines
    )
    if len(fitted) * line_height > height:
        # Even one line at the smallest size is taller than the box: leave the words out, never overflow.
        return Text(font, [], 0, colour)
    return Text(font, fitted, line_height, colour)


def stack(
    draw: ImageDraw.ImageDraw, parts: Sequence[Part], box: Box, palette: Palette, centred: bool
) -> None:
    """Draw parts one under another, the whole stack centred vertically in the box."""
    parts = [part for part in parts if part_height(part) > 0]
    total = sum(part_height(part) for part in parts)
    y = box.top + max(0, (box.height - total) // 2)
    middle = (box.left + box.right) / 2
    for part in parts:
        height = part_height(part)
        if isinstance(part, Text):
            for line in part.lines:
                x = middle - part.font.getlength(line) / 2 if centred else box.left
                draw.text((x, y), line, font=part.font, fill=part.colour)
                y += part.line_height
            continue
        if isinstance(part, Icon):
            centre = (middle if centred else box.left + height / 2, y + height / 2)
            if part.bare:
                pictograms.draw_bare(draw, part.name, centre, height, palette.accent)
            else:
                pictograms.draw(draw, part.name, centre, height, palette.accent, ink(palette))
        elif isinstance(part, Bar):
            left = round(middle - part.width / 2) if centred else box.left
            draw.rectangle((left, y, left + part.width, y + part.height), fill=palette.accent)
        y += height


# A figure breaks over two lines only before a word or a year, never between a number and its unit.
_FIGURE_BREAK = re.compile(r" (?=[^\W\d]{4,}\b|\d{4}\b)")


def figure_text(value: str, colour: RGB, start: float, smallest: float, width: float, height: float) -> Text:
    """The figure as large as fits: on one line, or on two when that makes it much larger (a long date)."""
    one = _figure_lines([value], start, smallest, width, height)
    splits = [
        [value[: match.start()], value[match.end() :]]
        for match in _FIGURE_BREAK.finditer(value)
        if not value[: match.start()].isupper()
    ]
    best = max(
        (_figure_lines(lines, start, smallest, width, height) for lines in splits),
        key=lambda fitted: fitted[0],
        default=None,
    )
    size, lines = best if best is not None and best[0] > one[0] * 1.35 else one
    font = font_for(value, size)
    if font.getlength(max(lines, key=font.getlength)) > width:
        lines = [ellipsize(line, font, width) for line in lines]
    return Text(font, lines, _figure_line_height(font), colour)


def _figure_line_height(font: ImageFont.FreeTypeFont) -> int:
    """A figure's line height: tight, but never less than the font's ascent (CJK fonts sit lower)."""
    ascent, descent = font.getmetrics()
    return max(round(font.size * 1.1), ascent + round(descent * 0.4))


def _figure_lines(
    lines: list[str], start: float, smallest: float, width: float, height: float
) -> tuple[int, list[str]]:
    """The largest size from `start` down at which these lines of a figure fit the box, with the lines."""
    size = max(8, round(start))
    while size > smallest:
        font = font_for(" ".join(lines), size)
        fits_height = len(lines) * _figure_line_height(font) <= height
        if max(font.getlength(line) for line in lines) <= width and fits_height:
            break
        size = max(round(smallest), int(size * 0.92))
    return size, lines
