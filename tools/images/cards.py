"""Offline scene images: readable, varied title and data cards drawn with Pillow and the shipped fonts."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from state import STYLES
from tools.errors import BadInput
from tools.files import atomic_path
from tools.images.fonts import drawable_text, font_for, wrap_text
from tools.text.line_breaks import Unit, breaks_anywhere, join, units

KINDS: tuple[str, ...] = ("scene", "data", "title")

# Burned-in captions sit in the bottom fifth of a vertical video; cards leave it plain.
CAPTION_ZONE = 0.20
SIDE_MARGIN = 0.06
HEADLINE_WIDTH = 0.80

RGB = tuple[int, int, int]


class Palette(NamedTuple):
    """A card's colours: a vertical gradient from `top` to `bottom`, the text, and an accent."""

    top: RGB
    bottom: RGB
    text: RGB
    accent: RGB


def _hex(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _palette(top: str, bottom: str, text: str, accent: str) -> Palette:
    return Palette(_hex(top), _hex(bottom), _hex(text), _hex(accent))


# Every text colour keeps a contrast of at least 4.5 against its whole gradient (tests check it).
PALETTES: dict[str, tuple[Palette, ...]] = {
    "bold": (
        _palette("#4C1D95", "#831843", "#FFFFFF", "#FDE047"),
        _palette("#1E3A8A", "#155E75", "#FFFFFF", "#F472B6"),
        _palette("#991B1B", "#7C2D12", "#FFFFFF", "#FDE68A"),
        _palette("#065F46", "#1E3A8A", "#FFFFFF", "#FCD34D"),
        _palette("#111827", "#4C1D95", "#FFFFFF", "#F59E0B"),
    ),
    "calm": (
        _palette("#E0F2F1", "#B2DFDB", "#12343A", "#00796B"),
        _palette("#F3E8FF", "#E9D5FF", "#3B0764", "#7E22CE"),
        _palette("#FEF3C7", "#FDE68A", "#422006", "#B45309"),
        _palette("#E0F2FE", "#BAE6FD", "#0C4A6E", "#0369A1"),
        _palette("#ECFCCB", "#D9F99D", "#1A2E05", "#4D7C0F"),
    ),
    "news": (
        _palette("#0B1F3A", "#13315C", "#FFFFFF", "#E63946"),
        _palette("#F8FAFC", "#E2E8F0", "#0F172A", "#DC2626"),
        _palette("#1F2937", "#111827", "#FFFFFF", "#FBBF24"),
        _palette("#7F1D1D", "#450A0A", "#FFFFFF", "#FCA5A5"),
        _palette("#0F3D3E", "#14532D", "#FFFFFF", "#5EEAD4"),
    ),
    "sunset": (
        _palette("#FF7E5F", "#FEB47B", "#2B0A00", "#7C2D12"),
        _palette("#4A1942", "#9D2B2B", "#FFFFFF", "#FDBA74"),
        _palette("#F7971E", "#FFD200", "#3B1F00", "#9A3412"),
        _palette("#2E1437", "#8E2A5F", "#FFFFFF", "#FCA5A5"),
        _palette("#FDE2C4", "#F9A8A8", "#3F0D12", "#BE123C"),
    ),
    "mono": (
        _palette("#111111", "#2B2B2B", "#FFFFFF", "#BDBDBD"),
        _palette("#F5F5F5", "#DADADA", "#111111", "#555555"),
        _palette("#3A3A3A", "#1C1C1C", "#F5F5F5", "#9E9E9E"),
        _palette("#E8E8E8", "#C4C4C4", "#141414", "#4A4A4A"),
    ),
}


def relative_luminance(colour: RGB) -> float:
    """WCAG relative luminance of an sRGB colour."""
    channels = []
    for value in colour:
        c = value / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG contrast ratio between two colours, from 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def palette_for(style: str, index: int, title: str, take: int = 0) -> Palette:
    """The palette of scene `index`: consecutive scenes always differ, and each video starts elsewhere.

    A later `take` moves at least two places along, so it still differs from both neighbours' palettes.
    """
    if style not in PALETTES:
        raise BadInput(f"unknown card style '{style}'; use one of: {', '.join(STYLES)}")
    palettes = PALETTES[style]
    offset = zlib.crc32(title.encode("utf-8")) % len(palettes)
    if take:
        offset += 2 + (take - 1) % max(1, len(palettes) - 3)
    return palettes[(index - 1 + offset) % len(palettes)]


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


def _decorate(
    layer: Image.Image, variant: int, palette: Palette, index: int, limit_y: int, kind: str
) -> None:
    """Faint shapes that change with the scene: a big number, rings, stripes or a dot grid."""
    draw = ImageDraw.Draw(layer)
    width, height = layer.size
    short = min(width, height)
    text_rgba = (*palette.text, 22)
    accent_rgba = (*palette.accent, 46)
    if variant == 0 and kind != "data":
        size = max(8, int(min(height * 0.42, width * 0.45)))
        label = f"{index:02d}"
        font = font_for(label, size)
        box = draw.textbbox((0, 0), label, font=font)
        x = width - (box[2] - box[0]) - int(width * 0.02) - box[0]
        y = int(limit_y - (box[3] - box[1]) - box[1] - height * 0.02)
        draw.text((x, y), label, font=font, fill=text_rgba)
    elif variant in (0, 1):
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


# Just the figure: scale words ("million") go to the label below so the figure itself can be huge.
_NUMBER = re.compile(r"[$\u20ac\u00a3]?\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|s)?(?:\s?%)?")


def _split_number(text: str) -> tuple[str, str]:
    """Split "3.5 million tonnes" into ("3.5", "million tonnes"); ("", text) when there is no number."""
    match = _NUMBER.search(text)
    if not match:
        return "", text
    label = (text[: match.start()] + " " + text[match.end() :]).strip(" :,-\u2013\u2014")
    return match.group(0).strip(), " ".join(label.split())


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
) -> Path:
    """Render one scene card as a PNG of exactly width x height and write it atomically.

    A later `take` of the same scene gets another palette and backdrop, so a regenerated card looks new.
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
    number, label = _split_number(headline) if kind == "data" else ("", headline)
    if kind == "data" and not number:
        kind = "scene"

    image = _gradient(width, height, palette).convert("RGBA")
    short = min(width, height)
    margin = round(width * SIDE_MARGIN)
    safe_width = width - 2 * margin
    caption_top = round(height * (1 - CAPTION_ZONE))

    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    _decorate(layer, (index - 1 + take) % 4, palette, max(index, 0), caption_top, kind)
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
    region_height = region_bottom - region_top
    box_width = width * HEADLINE_WIDTH
    accent_height = max(3, round(short * 0.012))
    accent_gap = round(short * 0.035)

    blocks: list[tuple[ImageFont.FreeTypeFont, list[str], int]] = []
    if kind == "data":
        big = _fit(
            number, True, round(short * 0.30), max(10, round(short * 0.05)), box_width, region_height * 0.5, 1
        )
        blocks.append(big)
        if label:
            rest = region_height - len(big[1]) * big[2] - accent_height - 2 * accent_gap
            blocks.append(
                _fit(label, False, round(short * 0.07), max(8, round(short * 0.03)), box_width, rest, 3)
            )
    else:
        text = title_text if kind == "title" and title_text else headline
        main = _fit(
            text or " ",
            True,
            round(short * 0.127),
            max(8, round(short * 0.035)),
            box_width,
            region_height * 0.8,
            6,
        )
        blocks.append(main)
        if kind == "title" and headline and headline != text:
            rest = region_height - len(main[1]) * main[2] - accent_height - 2 * accent_gap
            blocks.append(
                _fit(headline, False, round(short * 0.06), max(8, round(short * 0.03)), box_width, rest, 2)
            )

    heights = [len(lines) * line_height for _, lines, line_height in blocks]
    total = sum(heights) + accent_height + 2 * accent_gap * (len(blocks) > 0)
    y = region_top + max(0, (region_height - total) // 2)
    for position, (font, lines, line_height) in enumerate(blocks):
        for line in lines:
            line_width = _width(font, line)
            draw.text(((width - line_width) / 2, y), line, font=font, fill=palette.text)
            y += line_height
        if position == 0:
            y += accent_gap
            accent_width = round(width * 0.16)
            draw.rectangle(
                ((width - accent_width) // 2, y, (width + accent_width) // 2, y + accent_height),
                fill=palette.accent,
            )
            y += accent_height + accent_gap

    with atomic_path(out_path) as tmp:
        # Level 1 compresses flat gradients almost as well as level 6, in a fraction of the time.
        image.convert("RGB").save(tmp, format="PNG", compress_level=1)
    return out_path
