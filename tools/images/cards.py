"""Offline scene images: title, data, list, statement and pictogram cards drawn with Pillow.

A card is two files: the background (the style's gradient and faint shapes), which the renderer pans and
zooms, and the text layer (the header, and the words, figures, pictogram and rules of the card's layout),
which stays still over it. Every word sits inside the safe areas (tools/images/safe_areas.py): the header
in its box, the body in the content box, nothing where the captions go. The layout follows the words (a
figure, a list, a quotation, a long statement, or a headline under a pictogram), so neighbouring cards
differ in shape as well as colour.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ParamSpec

from PIL import ImageDraw

from tools.errors import BadInput
from tools.files import atomic_path
from tools.images import pictograms
from tools.images.backdrops import VARIANTS, decorate, gradient
from tools.images.card_bodies import Card, draw_body
from tools.images.fonts import drawable_text
from tools.images.header_layer import card_header, draw_header
from tools.images.layouts import Layout, choose_layout, quoted
from tools.images.palettes import PALETTES, Palette, contrast_ratio, palette_for, relative_luminance
from tools.images.safe_areas import safe_areas
from tools.images.text_layers import Layers, new_layer, save_layer
from tools.text.line_breaks import Unit, breaks_anywhere, join, units

__all__ = [
    "KINDS",
    "PALETTES",
    "Layers",
    "Palette",
    "contrast_ratio",
    "palette_for",
    "plan_pictograms",
    "relative_luminance",
    "render_card",
]

KINDS: tuple[str, ...] = ("scene", "data", "title")
# Wider than this, a card puts its pictogram beside the words instead of above them.
WIDE = 1.3
_DRAWING = threading.BoundedSemaphore(2)
_P = ParamSpec("_P")


def _printable(text: str) -> str:
    """Drop emoji, invisible characters and anything else the shipped fonts cannot draw (no empty boxes).

    What is dropped is what `tools.images.fonts.missing_glyphs` reports for the same text.
    """
    return drawable_text(text)


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


def _two_at_a_time(draw: Callable[_P, Layers]) -> Callable[_P, Layers]:
    """Let at most two cards be drawn at once: scenes are made in parallel, and full-size RGBA layers take
    about 30 MB each (seven at once took a 60 s run over its 600 MB; the machine has two cores anyway)."""

    @functools.wraps(draw)
    def drawn(*args: _P.args, **kwargs: _P.kwargs) -> Layers:
        with _DRAWING:
            return draw(*args, **kwargs)

    return drawn


@_two_at_a_time
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
    overlay_path: Path,
    kind: str = "scene",
    take: int = 0,
    visual: str = "",
    pictogram: str = "",
) -> Layers:
    """Render one scene card as two PNGs of exactly width x height, each written atomically: the
    background (gradient and shapes, no text) at `out_path` and the text layer (RGBA, transparent but for
    the header and the card's words and pictogram) at `overlay_path`.

    The layout follows the words; `visual` (the scene's picture description) helps choose the pictogram,
    and `pictogram` names one outright (see `plan_pictograms`). A later `take` of the same scene gets
    another palette and backdrop, so a regenerated card looks new. A title card has no header.
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
    areas = safe_areas(width, height)

    background = gradient(width, height, palette).convert("RGBA")
    shapes = new_layer(width, height)
    variant = (index - 1 + take) % VARIANTS
    if variant == 3 and layout.name in ("statement", "quote"):
        # The dot grid sits where left-aligned words go; rings stay clear of them.
        variant = 1
    decorate(shapes, variant, palette, areas.captions.top)
    background.alpha_composite(shapes)

    text = new_layer(width, height)
    if kind != "title":
        draw_header(text, title_text, index, count, card_header(palette))
    body = new_layer(width, height)
    card = Card(ImageDraw.Draw(body), areas.content, palette, min(width, height), width >= height * WIDE)
    draw_body(card, layout, title_text, headline, icon, quoted(headline) if layout.name == "quote" else "")
    # Only the content box is kept: a glyph's soft edge a pixel over it must not reach the header's gap.
    content = areas.content
    box = (content.left, content.top, content.right, content.bottom)
    text.alpha_composite(body.crop(box), dest=box[:2])

    with atomic_path(out_path) as tmp:
        # Level 1 compresses flat gradients almost as well as level 6, in a fraction of the time.
        background.convert("RGB").save(tmp, format="PNG", compress_level=1)
    return Layers(out_path, save_layer(text, overlay_path))
