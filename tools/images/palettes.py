"""Card palettes: gradients, text and accent colours per style, each readable against its whole gradient."""

from __future__ import annotations

import zlib
from typing import NamedTuple

from state import STYLES
from tools.errors import BadInput

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
