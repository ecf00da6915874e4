"""The body of each card layout (title, data, list, statement or quote, pictogram), drawn into the content
box of the card's text layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from PIL import ImageDraw, ImageFont

from tools.images import pictograms
from tools.images.card_parts import (
    Bar,
    Gap,
    Icon,
    Part,
    ellipsize,
    figure_text,
    fitted_text,
    ink,
    part_height,
    stack,
)
from tools.images.fonts import font_for
from tools.images.layouts import Layout
from tools.images.palettes import Palette
from tools.images.safe_areas import Box

__all__ = ["Card", "draw_body"]


class Card(NamedTuple):
    """What a layout draws on: the text layer, the content box, the colours, the frame's short side and
    whether the frame is wide enough to put the pictogram beside the words."""

    draw: ImageDraw.ImageDraw
    box: Box
    palette: Palette
    short: int
    wide: bool


def draw_body(card: Card, layout: Layout, title: str, headline: str, icon: str, quote: str) -> None:
    """Draw the card's body for its layout; `quote` is the headline in quotation marks (a quote layout)."""
    if layout.name == "title":
        _draw_title_card(card, title, headline, icon)
    elif layout.name == "data":
        _draw_data_card(card, layout, icon)
    elif layout.name == "list":
        _draw_list_card(card, layout, icon)
    elif layout.name == "quote":
        _draw_statement_card(card, quote, icon, quotation=True)
    elif layout.name == "statement":
        _draw_statement_card(card, headline, icon, quotation=False)
    else:
        _draw_pictogram_card(card, headline, icon)


def _beside(card: Card, icon: str, share: float) -> Box:
    """Draw the pictogram at the left of a wide card; returns the box left for the words."""
    box, short = card.box, card.short
    diameter = round(min(box.height * share, box.width * 0.34))
    stack(
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
        text = fitted_text(
            headline or " ", colour, True, short * 0.127, smallest, words.width, words.height * 0.8, 5
        )
        stack(card.draw, [text, Gap(gap), bar], words, card.palette, centred=False)
        return
    diameter = round(min(box.height * 0.42, box.width * 0.62))
    room = box.height - diameter - 3 * gap - bar.height
    text = fitted_text(headline or " ", colour, True, short * 0.115, smallest, box.width, room, 5)
    stack(card.draw, [Icon(icon, diameter), Gap(gap * 2), text, Gap(gap), bar], box, card.palette, True)


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
    room = box.height - sum(part_height(part) for part in parts)
    note = fitted_text(
        f"({figure.note})" if figure.note else "",
        colour,
        False,
        short * 0.045,
        short * 0.03,
        box.width,
        room * 0.1,
        1,
    )
    lead = fitted_text(figure.lead, colour, False, short * 0.055, short * 0.03, box.width, room * 0.14, 2)
    room -= part_height(note) + part_height(lead) + bar.height + 4 * gap
    value = figure_text(figure.value, colour, short * 0.3, short * 0.06, box.width, room * 0.7)
    room -= part_height(value)
    label = fitted_text(figure.label, colour, False, short * 0.07, short * 0.03, box.width, room, 3)
    parts += [lead, Gap(gap // 2 if figure.lead else 0), value, Gap(gap), bar, Gap(gap), label]
    parts += [Gap(gap // 2 if figure.note else 0), note]
    stack(card.draw, parts, box, card.palette, centred=not card.wide)


def _draw_statement_card(card: Card, headline: str, icon: str, quotation: bool) -> None:
    """A long line or a quotation, left-aligned and large, marked by a pictogram or a big quotation mark;
    a statement also has a rule down its left side."""
    box, short, colour = card.box, card.short, card.palette.text
    size = round(short * (0.2 if quotation else 0.15))
    gap = round(short * 0.04)
    rule = max(4, round(short * 0.014))
    if not quotation:
        # The rule stands at the box's left edge and the words a little further in, all inside the box.
        box = Box(box.left + rule + round(short * 0.035), box.top, box.right, box.bottom)
    room = box.height - size - gap
    start = short * (0.14 if quotation else 0.1)
    text = fitted_text(headline or " ", colour, True, start, short * 0.035, box.width, room, 7)
    stack(card.draw, [Icon(icon, size, bare=quotation), Gap(gap), text], box, card.palette, centred=False)
    if quotation or not text.lines:
        return
    top = box.top + max(0, (box.height - size - gap - part_height(text)) // 2) + size + gap
    left = card.box.left
    bottom = top + part_height(text) - round(text.line_height * 0.18)
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
        widest = max(font.getlength(item) for item in items)
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
    heading = fitted_text(
        layout.heading, palette.text, True, short * 0.065, short * 0.035, box.width, short * 0.16, 2
    )
    head += [heading, Gap(gap if layout.heading else 0)]
    rows = _rows(layout.items, box.width, box.height - sum(part_height(part) for part in head), short)
    if not card.wide and rows.font.size < short * 0.05:
        # Many items on a small box: the items matter more than the pictogram.
        head = head[2:]
        rows = _rows(layout.items, box.width, box.height - sum(part_height(part) for part in head), short)
    items = list(layout.items)
    while len(items) > 1 and sum(part_height(part) for part in head) + rows.row * len(items) > box.height:
        # Even the smallest rows do not all fit: show the first items rather than run past the box.
        items.pop()
    items_height = rows.row * len(items)
    total = sum(part_height(part) for part in head) + items_height
    top = box.top + max(0, (box.height - total) // 2)
    stack(card.draw, head, Box(box.left, top, box.right, top + total - items_height), palette, not card.wide)
    room_for_text = box.width - rows.disc - rows.space
    block = rows.disc + rows.space + min(rows.widest, room_for_text)
    left = round(box.left + (0.0 if card.wide else max(0.0, (box.width - block) / 2)))
    y = top + total - items_height
    for number, item in enumerate(items, start=1):
        middle = y + rows.row / 2
        _numbered_disc(card, str(number), (left + rows.disc / 2, middle), rows.disc)
        shown = ellipsize(item, rows.font, room_for_text)
        bounds = card.draw.textbbox((0, 0), shown, font=rows.font)
        origin = (left + rows.disc + rows.space, middle - (bounds[1] + bounds[3]) / 2)
        card.draw.text(origin, shown, font=rows.font, fill=palette.text)
        y += rows.row


def _numbered_disc(card: Card, label: str, centre: tuple[float, float], diameter: int) -> None:
    """An accent disc with a number on it, marking one item of a list."""
    pictograms.draw_bare(card.draw, pictograms.DISC, centre, diameter, card.palette.accent)
    font = font_for(label, max(8, round(diameter * 0.55)))
    left, top, right, bottom = card.draw.textbbox((0, 0), label, font=font)
    origin = (centre[0] - (left + right) / 2, centre[1] - (top + bottom) / 2)
    card.draw.text(origin, label, font=font, fill=ink(card.palette))


def _draw_title_card(card: Card, title: str, headline: str, icon: str) -> None:
    """The video's title, large, under a pictogram, with the first scene's words below."""
    box, short, colour = card.box, card.short, card.palette.text
    gap, bar = round(short * 0.035), _rule(short)
    diameter = round(min(short * 0.2, box.height * 0.22))
    room = box.height - diameter - 3 * gap - bar.height
    main = fitted_text(
        title or headline or " ", colour, True, short * 0.127, short * 0.035, box.width, room * 0.8, 6
    )
    rest = room - part_height(main)
    sub = headline if title and headline and headline != title else ""
    below = fitted_text(sub, colour, False, short * 0.06, short * 0.03, box.width, rest, 2)
    parts: list[Part] = [Icon(icon, diameter), Gap(gap), main, Gap(gap), bar, Gap(gap if sub else 0), below]
    stack(card.draw, parts, box, card.palette, centred=True)
