"""Pictograms for offline cards: pick an icon from a scene's words and draw it from the shipped icon font.

The icons are a few hundred of Font Awesome Free's solid icons, subset and renamed by
scripts/build_pictograms.py (SIL OFL 1.1, see tools/media/fonts/LICENSE-FontAwesome.txt); the keyword
table beside this module maps word stems to icons with a weight.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from PIL import ImageDraw, ImageFont

from tools.errors import BadInput, ToolUnavailable

FONT = Path(__file__).resolve().parent.parent / "media" / "fonts" / "ReelforgePictograms-Solid.ttf"
TABLE = Path(__file__).resolve().parent / "pictograms.json"

# What a card's words count for: the headline and the picture description say what the scene shows; the
# narration adds context; a hint says what a data card's figure is ("calendar" for a date); the video's
# title only decides between icons nothing else tells apart.
FIELD_WEIGHTS = {"on_screen_text": 3.0, "visual": 3.0, "hint": 2.0, "narration": 1.0, "title": 0.4}
DISC = "circle"
# Fallbacks when no word matches, by what the card shows: generic but never wrong.
FALLBACKS = {
    "data": ("chart-column", "chart-simple"),
    "quote": ("quote-left",),
    "list": ("list-check", "clipboard-list"),
    "scene": ("lightbulb", "circle-info", "book-open", "compass"),
}
# "Title card:" and "Data card:" prefixes name the card, not what it depicts.
_CARD_PREFIX = re.compile(r"^\s*(?:title|data)\s+card\s*:\s*", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
# Words whose final "s" is not a plural.
_UNCHANGED = frozenset(
    "news gas glass lens series species physics mathematics economics politics ethics genetics "
    "electronics always christmas winding morning evening".split()
)


class Scored(NamedTuple):
    """An icon and how well a scene's words match it."""

    name: str
    score: float


class Table(NamedTuple):
    """The shipped icon data: each icon's code point and each word stem's icons with their weights."""

    icons: dict[str, str]
    terms: dict[str, dict[str, float]]


def stem(word: str) -> str:
    """A crude English stem, the same for the table and the text: lower case, no accents, no plural."""
    word = unicodedata.normalize("NFKD", word.lower().replace("\u2019", "'"))
    word = "".join(char for char in word if not unicodedata.combining(char))
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    if word in _UNCHANGED:
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 6 and word.endswith("oes"):
        return word[:-2]
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        word = word[:-1]
    if len(word) > 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    return word


def stems(text: str) -> list[str]:
    """The stems of a text's words, then its two-word phrases ("hot air" matches a balloon, not a fire)."""
    single = [stem(word) for word in _WORD.findall(text)]
    return single + [f"{first} {second}" for first, second in zip(single, single[1:], strict=False)]


@lru_cache(maxsize=1)
def table() -> Table:
    """The keyword table, read once."""
    try:
        data = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ToolUnavailable(f"pictogram table {TABLE} cannot be read; reinstall reelforge") from None
    icons: dict[str, str] = {name: chr(int(code, 16)) for name, code in data["icons"].items()}
    terms = {term: {name: float(weight) for name, weight in pairs} for term, pairs in data["terms"].items()}
    return Table(icons, terms)


def names() -> tuple[str, ...]:
    """Every shipped pictogram's name, sorted."""
    return tuple(sorted(table().icons))


def rank(
    on_screen_text: str, visual: str = "", narration: str = "", title: str = "", hint: str = ""
) -> list[Scored]:
    """The icons a scene's words match, best first; ties go to the alphabetically first name.

    A word that fits many icons ("water") counts less than one that fits few ("volcano").
    """
    visual = _CARD_PREFIX.sub("", visual)
    if on_screen_text.strip() and visual.startswith(on_screen_text.strip()):
        # "Data card: 1582: Dutch" repeats the headline; only what it adds describes the picture.
        visual = visual[len(on_screen_text.strip()) :]
    fields = {
        "on_screen_text": on_screen_text,
        "visual": visual,
        "narration": narration,
        "title": title,
        "hint": hint,
    }
    terms = table().terms
    scores: dict[str, float] = {}
    for field, text in fields.items():
        seen: set[str] = set()
        for term in stems(text):
            if term in seen or term not in terms:
                continue
            seen.add(term)
            matches = terms[term]
            specificity = 1 / math.sqrt(len(matches))
            for name, weight in matches.items():
                scores[name] = scores.get(name, 0.0) + FIELD_WEIGHTS[field] * weight * specificity
    return sorted((Scored(name, score) for name, score in scores.items()), key=lambda s: (-s.score, s.name))


def choose(
    on_screen_text: str,
    visual: str = "",
    narration: str = "",
    title: str = "",
    *,
    hint: str = "",
    layout: str = "scene",
    avoid: Collection[str] = (),
) -> str:
    """The best icon for a scene's words that is not in `avoid`, else a fitting fallback for the layout.

    `avoid` gives way when nothing else matches: a repeated icon that fits beats a generic one.
    """
    ranked = rank(on_screen_text, visual, narration, title, hint)
    for scored in ranked:
        if scored.name not in avoid:
            return scored.name
    if ranked:
        return ranked[0].name
    options = FALLBACKS.get(layout, FALLBACKS["scene"])
    return next((name for name in options if name not in avoid), options[0])


def glyph(name: str) -> str:
    """The character that draws the pictogram `name` in the shipped icon font."""
    icons = table().icons
    if name not in icons:
        examples = ", ".join(sorted(icons)[:3])
        raise BadInput(f"unknown pictogram '{name}'; use a name from {TABLE.name}, such as {examples}")
    return icons[name]


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The shipped icon font at `size` pixels, opened once per size."""
    try:
        return ImageFont.truetype(str(FONT), size)
    except OSError:
        raise ToolUnavailable(f"shipped icon font {FONT} cannot be loaded; reinstall reelforge") from None


def draw(
    canvas: ImageDraw.ImageDraw,
    name: str,
    centre: tuple[float, float],
    diameter: float,
    disc: tuple[int, ...],
    ink: tuple[int, ...],
) -> None:
    """Draw pictogram `name` in colour `ink` on a disc of colour `disc`, centred on `centre`."""
    if diameter < 4:
        return
    _draw_glyph(canvas, glyph(DISC), centre, diameter, disc)
    _draw_glyph(canvas, glyph(name), centre, diameter * 0.56, ink)


def draw_bare(
    canvas: ImageDraw.ImageDraw, name: str, centre: tuple[float, float], size: float, ink: tuple[int, ...]
) -> None:
    """Draw pictogram `name` with no disc, its larger side `size` pixels, centred on `centre`."""
    if size >= 4:
        _draw_glyph(canvas, glyph(name), centre, size, ink)


def _draw_glyph(
    canvas: ImageDraw.ImageDraw, char: str, centre: tuple[float, float], size: float, ink: tuple[int, ...]
) -> None:
    """Draw one glyph scaled so that its ink's larger side is `size` pixels (icons are not all square)."""
    probe = font(256)
    left, top, right, bottom = probe.getbbox(char)
    extent = max(right - left, bottom - top, 1)
    scaled = font(max(4, round(256 * size / extent)))
    left, top, right, bottom = scaled.getbbox(char)
    origin = (centre[0] - (left + right) / 2, centre[1] - (top + bottom) / 2)
    canvas.text(origin, char, font=scaled, fill=ink)
