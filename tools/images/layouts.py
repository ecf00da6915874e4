"""Which layout a card's words call for: a big figure, a list, a statement, or a pictogram with a headline."""

from __future__ import annotations

import re
from typing import NamedTuple

from tools.images.figures import Figure, split_figure

LAYOUTS: tuple[str, ...] = ("title", "data", "list", "quote", "statement", "pictogram")

# A line this long reads as a statement; headlines are shorter (the offline writer's are six words at most).
STATEMENT_WORDS = 8
MAX_ITEMS = 6
MAX_ITEM_WORDS = 5
_QUOTES = {"\u201c": "\u201d", '"': '"', "\u00ab": "\u00bb", "\u300c": "\u300d", "\u2018": "\u2019", "'": "'"}
_SEPARATORS = re.compile(r"\s*(?:[;\u2022\u00b7|\n\u3001\uff1b]|,(?=\s))\s*")
_LEADING_JOINER = re.compile(r"^(?:and|or|&)\s+", re.IGNORECASE)
_LAST_JOINER = re.compile(r"^(?P<head>.+?)\s+(?:and|or|&)\s+(?P<tail>[^,]+)$", re.IGNORECASE)
# What a figure is, in words the pictogram table knows: a date shows a calendar, a length a ruler.
FIGURE_HINTS = {
    "date": "calendar",
    "year": "calendar",
    "century": "history",
    "money": "money",
    "percent": "percentage",
    "ratio": "people",
    "length": "height",
    "distance": "route",
    "weight": "weight",
    "volume": "droplet",
    "area": "map",
    "temperature": "temperature",
    "speed": "speed",
    "power": "electricity",
    "energy": "electricity",
    "data": "database",
    "frequency": "signal",
    "loudness": "headphones",
}


class Layout(NamedTuple):
    """A card's layout and what it draws: a data card's figure, or a list's items and heading."""

    name: str
    figure: Figure | None = None
    heading: str = ""
    items: tuple[str, ...] = ()

    @property
    def hint(self) -> str:
        """Words that say what the card shows, for choosing its pictogram."""
        return FIGURE_HINTS.get(self.figure.kind, "") if self.figure else ""

    @property
    def fallback(self) -> str:
        """Which kind of generic pictogram suits this layout when no word matches."""
        return {"data": "data", "list": "list", "quote": "quote"}.get(self.name, "scene")


def choose_layout(kind: str, headline: str, narration: str = "") -> Layout:
    """The layout for a card: chosen from its kind and its words alone, so a card is drawn the same each time.

    A data card needs a figure in its text; without one it is drawn as a scene card. The narration only
    completes a figure the headline cut short.
    """
    if kind == "title":
        return Layout("title")
    if kind == "data" and (figure := split_figure(headline, narration)) is not None:
        return Layout("data", figure)
    if (listed := list_items(headline)) is not None:
        heading, items = listed
        return Layout("list", heading=heading, items=items)
    if quoted(headline):
        return Layout("quote")
    words = headline.split()
    if len(words) >= STATEMENT_WORDS or (headline.rstrip().endswith(("?", "!")) and len(words) > 2):
        return Layout("statement")
    return Layout("pictogram")


def quoted(text: str) -> str:
    """The words inside quotation marks when the whole text is a quotation, else ""."""
    text = text.strip()
    closing = _QUOTES.get(text[:1])
    body = text.rstrip(".!?,;")
    if closing and len(body) > 2 and body.endswith(closing) and closing not in body[1:-1]:
        return body[1:-1].strip()
    return ""


def list_items(text: str) -> tuple[str, tuple[str, ...]] | None:
    """A heading and three to six short items when the text lists things ("Coffee, tea and cocoa")."""
    heading, _, body = text.partition(":") if ":" in text else ("", "", text)
    if not body.strip():
        heading, body = "", text
    parts = [part for part in _SEPARATORS.split(body.strip().rstrip(".")) if part]
    if parts and (last := _LAST_JOINER.match(parts[-1])) and len(parts) >= 2:
        parts[-1:] = [last.group("head"), last.group("tail")]
    # A list shows each item on its own line, so each starts with a capital, as a line of a list does.
    bare = [_LEADING_JOINER.sub("", part).strip(" .") for part in parts]
    items = tuple(item[:1].upper() + item[1:] for item in bare)
    if not MAX_ITEMS >= len(items) >= 3 or any(len(item.split()) > MAX_ITEM_WORDS for item in items):
        return None
    if any(not item for item in items):
        return None
    return heading.strip(), items
