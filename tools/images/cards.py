"""Offline scene images: title, data, list, statement and pictogram cards drawn with Pillow.

The layout follows the words (a figure, a list, a quotation, a long statement, or a headline under a
pictogram), so neighbouring cards differ in shape as well as colour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tools.errors import BadInput
from tools.files import atomic_path
from tools.images import pictograms
from tools.images.fonts import drawable_text, font_for, wrap_text
from tools.images.layouts import Layout, choose_layout, quoted
from tools.images.palettes import PALETTES, RGB, Palette, contrast_ratio, palette_for, relative_luminance
from tools.text.line_breaks import Unit, breaks_anywhere, join, units

__all__ = [
    "CAPTION_ZONE",
    "HEADLINE_WIDTH",
    "KINDS",
    "PALETTES",
    "SIDE_MARGIN",
    "Palette",
    "contrast_ratio",
    "palette_for",
    "plan_pictograms",
    "relative_luminance",
    "render_card",
]

KINDS: tuple[str, ...] = ("scene", "data", "title")

# Burned-in captions sit in the bottom fifth of a vertical video; cards leave it plain.
CAPTION_ZONE = 0.20
SIDE_MARGIN = 0.06
HEADLINE_WIDTH = 0.80
# Wider than this, a card puts its pictogram beside the words instead of above them.
WIDE = 1.3


def _printable(text: str) -> str:
    """Drop emoji, invisible characters and anything else the shipped fonts cannot draw (no empty boxes).

    What is dropped is what `tools.images.fonts.missing_glyphs` reports for the same text.
    """
    return drawable_text(text)


def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    return font.getlength(text)


def _opening(narration: str, words: int = 8) -> str:
    """The narration's first words; unspaced Chinese and Japanese count two characters a word."""
    taken: list[Unit] = []
    count = 0.0
    for unit in units(narration):
        count += 0.5 if len(unit.text) == 1 and breaks_anywhere(unit.text) else 1.0
        if count > words:
            break
        taken.append(unit)
    return join(taken)


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    if _width(font, text) <= max_width:
        return text
    while text and _width(font, text + "\u2026") > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _fit(
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
        whole_words = all(_width(font, word) <= max_width for word in words)
        fits = whole_words and len(lines) <= max_lines and len(lines) * line_height <= max_height
        if fits or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    if len(lines) > max_lines or len(lines) * line_height > max_height:
        keep = max(1, min(max_lines, int(max_height // line_height)))
        lines = lines[:keep]
        lines[-1] = _ellipsize(lines[-1] + "\u2026", font, max_width)
    return font, lines, line_height


def _gradient(width: int, height: int, palette: Palette) -> Image.Image:
    """A vertical gradient; vertical keeps the caption zone at the bottom calm."""
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    top = np.array(palette.top, dtype=np.float32)
    bottom = np.array(palette.bottom, dtype=np.float32)
    column = (top[None, :] * (1 - ramp) + bottom[None, :] * ramp).round().astype(np.uint8)
    pixels = np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3)))
    return Image.fromarray(pixels, "RGB")


def _decorate(layer: Image.Image, variant: int, palette: Palette, limit_y: int) -> None:
    """Faint shapes that change with the scene: a large disc, rings, stripes or a dot grid."""
    draw = ImageDraw.Draw(layer)
    width, height = layer.size
    short = min(width, height)
    text_rgba = (*palette.text, 22)
    accent_rgba = (*palette.accent, 46)
    if variant == 0:
        # Whole, above the captions: a disc cut flat by the caption zone looks like a mistake.
        radius = int(min(short * 0.42, limit_y * 0.3))
        centre_x, centre_y = int(width * 0.02), limit_y - radius - short // 30
        draw.ellipse(
            (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius),
            fill=(*palette.text, 14),
        )
    elif variant == 1:
        centre_x, centre_y = int(width * 0.86), int(height * 0.30)
        ring = max(2, short // 90)
        for step in range(1, 6):
            radius = int(short * 0.09 * step)
            draw.ellipse(
                (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius),
                outline=accent_rgba,
                width=ring,
            )
    elif variant == 2:
        stripe = max(3, short // 40)
        span = int(short * 0.55)
        for step in range(7):
            offset = step * stripe * 2
            draw.line(
                [(-span + offset, limit_y), (offset + int(limit_y * 0.6), 0)],
                fill=accent_rgba,
                width=stripe,
            )
    else:
        dot = max(2, short // 110)
        gap = max(6, short // 22)
        for row in range(6):
            for column in range(6):
                cx = int(width * 0.08) + column * gap
                cy = int(height * 0.62) + row * gap
                if cy + dot < limit_y:
                    draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=(*palette.accent, 70))
        bar = max(3, short // 60)
        draw.rectangle(
            (width - bar * 3, int(height * 0.18), width - bar * 2, int(limit_y * 0.9)), fill=text_rgba
        )
    # Shapes must never reach the caption zone.
    draw.rectangle((0, limit_y, width, height), fill=(0, 0, 0, 0))


class Box(NamedTuple):
    """A rectangle of the card, in pixels."""

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


def _height(part: Part) -> int:
    if isinstance(part, Text):
        return len(part.lines) * part.line_height
    if isinstance(part, Icon):
        return part.diameter
    return part.height


def _ink(palette: Palette) -> RGB:
    """The colour of a pictogram on an accent disc: the end of the gradient that stands out more on it."""
    return max((palette.top, palette.bottom), key=lambda colour: contrast_ratio(colour, palette.accent))


def _stack(
    draw: ImageDraw.ImageDraw, parts: Sequence[Part], box: Box, palette: Palette, centred: bool
) -> None:
    """Draw parts one under another, the whole stack centred vertically in the box."""
    parts = [part for part in parts if _height(part) > 0]
    total = sum(_height(part) for part in parts)
    y = box.top + max(0, (box.height - total) // 2)
    middle = (box.left + box.right) / 2
    for part in parts:
        height = _height(part)
        if isinstance(part, Text):
            for line in part.lines:
                x = middle - _width(part.font, line) / 2 if centred else box.left
                draw.text((x, y), line, font=part.font, fill=part.colour)
                y += part.line_height
            continue
        if isinstance(part, Icon):
            centre = (middle if centred else box.left + height / 2, y + height / 2)
            if part.bare:
                pictograms.draw_bare(draw, part.name, centre, height, palette.accent)
            else:
                pictograms.draw(draw, part.name, centre, height, palette.accent, _ink(palette))
        elif isinstance(part, Bar):
            left = round(middle - part.width / 2) if centred else box.left
            draw.rectangle((left, y, left + part.width, y + part.height), fill=palette.accent)
        y += height


def _text(
    text: str, colour: RGB, bold: bool, start: float, smallest: float, width: float, height: float, lines: int
) -> Text:
    """Text fitted to a box at the largest size from `start` down, as a stack part."""
    if height < smallest * 1.2:
        return Text(font_for(" ", max(8, round(smallest))), [], 0, colour)
    font, fitted, line_height = _fit(
        text, bold, max(8, round(start)), max(8, round(smallest)), width, height, lines
    )
    return Text(font, fitted, line_height, colour)


class Card(NamedTuple):
    """What a layout draws on: the drawing, the region between the header and the captions, the colours."""

    draw: ImageDraw.ImageDraw
    box: Box
    palette: Palette
    short: int
    wide: bool


def _beside(card: Card, icon: str, share: float) -> Box:
    """Draw the pictogram at the left of a wide card; returns the box left for the words."""
    box, short = card.box, card.short
    diameter = round(min(box.height * share, box.width * 0.34))
    _stack(
        card.draw,
        [Icon(icon, diameter)],
        Box(box.left, box.top, box.left + diameter, box.bottom),
        card.palette,
        centred=True,
    )
    return Box(box.left + diameter + round(short * 0.09), box.top, box.right, box.bottom)


def _rule(short: int) -> Bar:
    return Bar(round(short * 0.16), max(3, round(short * 0.012)))


def _draw_pictogram_card(card: Card, headline: str, icon: str) -> None:
    """A large pictogram with the headline under it (beside it on a wide card)."""
    box, short, colour = card.box, card.short, card.palette.text
    gap, bar, smallest = round(short * 0.035), _rule(short), short * 0.035
    if card.wide:
        words = _beside(card, icon, 0.85)
        text = _text(
            headline or " ", colour, True, short * 0.127, smallest, words.width, words.height * 0.8, 5
        )
        _stack(card.draw, [text, Gap(gap), bar], words, card.palette, centred=False)
        return
    diameter = round(min(box.height * 0.42, box.width * 0.62))
    room = box.height - diameter - 3 * gap - bar.height
    text = _text(headline or " ", colour, True, short * 0.115, smallest, box.width, room, 5)
    _stack(card.draw, [Icon(icon, diameter), Gap(gap * 2), text, Gap(gap), bar], box, card.palette, True)


# A figure breaks over two lines only before a word or a year, never between a number and its unit.
_FIGURE_BREAK = re.compile(r" (?=[^\W\d]{4,}\b|\d{4}\b)")


def _figure_text(value: str, colour: RGB, start: float, smallest: float, width: float, height: float) -> Text:
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
    if _width(font, max(lines, key=lambda line: _width(font, line))) > width:
        lines = [_ellipsize(line, font, width) for line in lines]
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
        if max(_width(font, line) for line in lines) <= width and fits_height:
            break
        size = max(round(smallest), int(size * 0.92))
    return size, lines


def _draw_data_card(card: Card, layout: Layout, icon: str) -> None:
    """The figure huge, the words before it small above, and what it measures under an accent rule."""
    figure = layout.figure
    assert figure is not None
    box, short, colour = card.box, card.short, card.palette.text
    gap, bar = round(short * 0.03), _rule(short)
    parts: list[Part] = []
    if card.wide:
        box = _beside(card, icon, 0.62)
    else:
        diameter = round(min(short * 0.2, box.height * 0.18))
        parts += [Icon(icon, diameter), Gap(gap)]
    room = box.height - sum(_height(part) for part in parts)
    note = _text(
        f"({figure.note})" if figure.note else "",
        colour,
        False,
        short * 0.045,
        short * 0.03,
        box.width,
        room * 0.1,
        1,
    )
    lead = _text(figure.lead, colour, False, short * 0.055, short * 0.03, box.width, room * 0.14, 2)
    room -= _height(note) + _height(lead) + bar.height + 4 * gap
    value = _figure_text(figure.value, colour, short * 0.3, short * 0.06, box.width, room * 0.7)
    room -= _height(value)
    label = _text(figure.label, colour, False, short * 0.07, short * 0.03, box.width, room, 3)
    parts += [lead, Gap(gap // 2 if figure.lead else 0), value, Gap(gap), bar, Gap(gap), label]
    parts += [Gap(gap // 2 if figure.note else 0), note]
    _stack(card.draw, parts, box, card.palette, centred=not card.wide)


def _draw_statement_card(card: Card, headline: str, icon: str, quotation: bool) -> None:
    """A long line or a quotation, left-aligned and large, marked by a pictogram or a big quotation mark."""
    box, short, colour = card.box, card.short, card.palette.text
    size = round(short * (0.2 if quotation else 0.15))
    gap = round(short * 0.04)
    room = box.height - size - gap
    start = short * (0.14 if quotation else 0.1)
    text = _text(headline or " ", colour, True, start, short * 0.035, box.width, room, 7)
    _stack(card.draw, [Icon(icon, size, bare=quotation), Gap(gap), text], box, card.palette, centred=False)
    if quotation:
        return
    # A rule beside the words, in the side margin, marks them as one statement.
    rule = max(4, round(short * 0.014))
    top = box.top + max(0, (box.height - size - gap - _height(text)) // 2) + size + gap
    left = box.left - round(short * 0.035)
    bottom = top + _height(text) - round(text.line_height * 0.18)
    card.draw.rectangle((left, top, left + rule, bottom), fill=card.palette.accent)


class Rows(NamedTuple):
    """A list's items at one size: the font, each row's height, the number disc and the space after it."""

    font: ImageFont.FreeTypeFont
    row: int
    disc: int
    space: float
    widest: float


def _rows(items: Sequence[str], width: float, room: float, short: int) -> Rows:
    """The largest size from 0.085 of the card's short side down at which every item fits on its line."""
    size = round(short * 0.085)
    smallest = max(8, round(short * 0.03))
    while True:
        font = font_for(" ".join(items), size, bold=False)
        rows = Rows(font, round(size * 1.45), round(size * 1.1), size * 0.55, 0.0)
        widest = max(_width(font, item) for item in items)
        fits = widest <= width - rows.disc - rows.space and rows.row * len(items) <= room
        if fits or size <= smallest:
            return rows._replace(widest=widest)
        size = max(smallest, int(size * 0.9))


def _draw_list_card(card: Card, layout: Layout, icon: str) -> None:
    """A heading and numbered items, each on its own line, under a pictogram (beside it on a wide card)."""
    box, short, palette = card.box, card.short, card.palette
    gap = round(short * 0.03)
    head: list[Part] = []
    if card.wide:
        box = _beside(card, icon, 0.7)
    else:
        head += [Icon(icon, round(min(short * 0.18, box.height * 0.2))), Gap(gap)]
    heading = _text(
        layout.heading, palette.text, True, short * 0.065, short * 0.035, box.width, short * 0.16, 2
    )
    head += [heading, Gap(gap if layout.heading else 0)]
    rows = _rows(layout.items, box.width, box.height - sum(_height(part) for part in head), short)
    if not card.wide and rows.font.size < short * 0.05:
        # Many items on a square card: the items matter more than the pictogram.
        head = head[2:]
        rows = _rows(layout.items, box.width, box.height - sum(_height(part) for part in head), short)
    items_height = rows.row * len(layout.items)
    total = sum(_height(part) for part in head) + items_height
    top = box.top + max(0, (box.height - total) // 2)
    _stack(card.draw, head, Box(box.left, top, box.right, top + total - items_height), palette, not card.wide)
    room_for_text = box.width - rows.disc - rows.space
    block = rows.disc + rows.space + min(rows.widest, room_for_text)
    left = round(box.left + (0.0 if card.wide else max(0.0, (box.width - block) / 2)))
    y = top + total - items_height
    for number, item in enumerate(layout.items, start=1):
        middle = y + rows.row / 2
        _numbered_disc(card, str(number), (left + rows.disc / 2, middle), rows.disc)
        shown = _ellipsize(item, rows.font, room_for_text)
        ink = card.draw.textbbox((0, 0), shown, font=rows.font)
        origin = (left + rows.disc + rows.space, middle - (ink[1] + ink[3]) / 2)
        card.draw.text(origin, shown, font=rows.font, fill=palette.text)
        y += rows.row


def _numbered_disc(card: Card, label: str, centre: tuple[float, float], diameter: int) -> None:
    """An accent disc with a number on it, marking one item of a list."""
    pictograms.draw_bare(card.draw, pictograms.DISC, centre, diameter, card.palette.accent)
    font = font_for(label, max(8, round(diameter * 0.55)))
    left, top, right, bottom = card.draw.textbbox((0, 0), label, font=font)
    origin = (centre[0] - (left + right) / 2, centre[1] - (top + bottom) / 2)
    card.draw.text(origin, label, font=font, fill=_ink(card.palette))


def _draw_title_card(card: Card, title: str, headline: str, icon: str) -> None:
    """The video's title, large, under a pictogram, with the first scene's words below."""
    box, short, colour = card.box, card.short, card.palette.text
    gap, bar = round(short * 0.035), _rule(short)
    diameter = round(min(short * 0.2, box.height * 0.22))
    room = box.height - diameter - 3 * gap - bar.height
    main = _text(
        title or headline or " ", colour, True, short * 0.127, short * 0.035, box.width, room * 0.8, 6
    )
    rest = room - _height(main)
    sub = headline if title and headline and headline != title else ""
    below = _text(sub, colour, False, short * 0.06, short * 0.03, box.width, rest, 2)
    parts: list[Part] = [Icon(icon, diameter), Gap(gap), main, Gap(gap), bar, Gap(gap if sub else 0), below]
    _stack(card.draw, parts, box, card.palette, centred=True)


def _icon(layout: Layout, pictogram: str, headline: str, visual: str, narration: str, title: str) -> str:
    """The card's pictogram: the one asked for, a quotation mark on a quotation, else one the words fit."""
    if pictogram:
        pictograms.glyph(pictogram)  # an unknown name is bad input, said in one line
        return pictogram
    if layout.name == "quote":
        return "quote-left"
    if layout.name == "title":
        return pictograms.choose(f"{title} {headline}", visual, narration, layout=layout.fallback)
    return pictograms.choose(headline, visual, narration, title, hint=layout.hint, layout=layout.fallback)


def plan_pictograms(scenes: Sequence[Mapping[str, str]], title: str) -> list[str]:
    """The pictogram of each scene's card, in order, never the previous card's when another one fits.

    Each scene maps "on_screen_text", "visual" and "narration" (a SceneSpec does); a scene whose text has a
    digit is a data card, as the scene files draw it. Pass each name to `render_card(pictogram=...)`.
    """
    chosen: list[str] = []
    for scene in scenes:
        headline = _printable(scene.get("on_screen_text", "")) or _printable(
            _opening(scene.get("narration", ""))
        )
        kind = "data" if any(char.isdigit() for char in scene.get("on_screen_text", "")) else "scene"
        layout = choose_layout(kind, headline, scene.get("narration", ""))
        if layout.name == "quote":
            chosen.append("quote-left")
            continue
        chosen.append(
            pictograms.choose(
                headline,
                scene.get("visual", ""),
                scene.get("narration", ""),
                _printable(title),
                hint=layout.hint,
                layout=layout.fallback,
                avoid=chosen[-1:],
            )
        )
    return chosen


def render_card(
    *,
    title: str,
    on_screen_text: str,
    narration: str,
    index: int,
    count: int,
    style: str,
    width: int,
    height: int,
    out_path: Path,
    kind: str = "scene",
    take: int = 0,
    visual: str = "",
    pictogram: str = "",
) -> Path:
    """Render one scene card as a PNG of exactly width x height and write it atomically.

    The layout follows the words; `visual` (the scene's picture description) helps choose the pictogram,
    and `pictogram` names one outright (see `plan_pictograms`). A later `take` of the same scene gets
    another palette and backdrop, so a regenerated card looks new.
    """
    palette = palette_for(style, index, title, take)
    if kind not in KINDS:
        raise BadInput(f"unknown card kind '{kind}'; use one of: {', '.join(KINDS)}")
    if width < 32 or height < 32:
        raise BadInput(f"card size {width}x{height} is too small; use at least 32x32 pixels")
    if count < 1 or (kind != "title" and not 1 <= index <= count):
        raise BadInput(f"scene {index} of {count} is out of range; number scenes from 1 to the scene count")

    headline = _printable(on_screen_text) or _printable(_opening(narration))
    title_text = _printable(title)
    layout = choose_layout(kind, headline, narration)
    icon = _icon(layout, pictogram, headline, visual, narration, title_text)

    image = _gradient(width, height, palette).convert("RGBA")
    short = min(width, height)
    margin = round(width * SIDE_MARGIN)
    safe_width = width - 2 * margin
    caption_top = round(height * (1 - CAPTION_ZONE))

    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    variant = (index - 1 + take) % 4
    if variant == 3 and layout.name in ("statement", "quote"):
        # The dot grid sits where left-aligned words go; rings stay clear of them.
        variant = 1
    _decorate(layer, variant, palette, caption_top)
    image.alpha_composite(layer)
    draw = ImageDraw.Draw(image)

    small = max(10, round(short * 0.034))
    top = round(height * 0.05)
    small_font = font_for(title_text, small, bold=False)
    counter = f"{index} / {count}" if kind != "title" else ""
    small_bold = font_for(counter, small)
    counter_width = _width(small_bold, counter) if counter else 0
    if kind != "title" and title_text:
        shown = _ellipsize(title_text, small_font, safe_width - counter_width - small)
        draw.text((margin, top), shown, font=small_font, fill=palette.text)
    if counter:
        draw.text((width - margin - counter_width, top), counter, font=small_bold, fill=palette.text)
    bar_y = top + round(small * 1.7)
    bar_height = max(3, round(small * 0.3))
    if kind != "title":
        track = tuple(round(t * 0.3 + b * 0.7) for t, b in zip(palette.text, palette.top, strict=True))
        draw.rectangle((margin, bar_y, margin + safe_width, bar_y + bar_height), fill=track)
        filled = margin + round(safe_width * min(index, count) / count)
        draw.rectangle((margin, bar_y, filled, bar_y + bar_height), fill=palette.accent)

    region_top = bar_y + bar_height + round(short * 0.06)
    region_bottom = caption_top - round(short * 0.04)
    wide = width >= height * WIDE
    inset = round(width * (1 - HEADLINE_WIDTH) / 2)
    box = Box(inset, region_top, width - inset, region_bottom)
    card = Card(draw, box, palette, short, wide)
    if layout.name == "title":
        _draw_title_card(card, title_text, headline, icon)
    elif layout.name == "data":
        _draw_data_card(card, layout, icon)
    elif layout.name == "list":
        _draw_list_card(card, layout, icon)
    elif layout.name in ("quote", "statement"):
        text = quoted(headline) if layout.name == "quote" else headline
        _draw_statement_card(card, text, icon, quotation=layout.name == "quote")
    else:
        _draw_pictogram_card(card, headline, icon)

    with atomic_path(out_path) as tmp:
        # Level 1 compresses flat gradients almost as well as level 6, in a fraction of the time.
        image.convert("RGB").save(tmp, format="PNG", compress_level=1)
    return out_path
