"""Offline scene cards: exact size, varied, readable, calm where captions go, and in two layers: a background
with no text, and a still text layer whose every pixel lies in the safe areas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from state import STYLES
from tools.errors import BadInput
from tools.images import PALETTES, contrast_ratio, palette_for, render_card
from tools.images.card_parts import figure_text, fit
from tools.images.safe_areas import Box, safe_areas
from tools.images.text_layers import Layers

SIZES = [(1080, 1920), (1920, 1080), (1080, 1080), (360, 640)]
# Small frames of each aspect, where fitting is hardest: 9:16, 16:9 and 1:1.
SMALL = [(216, 384), (384, 216), (256, 256)]


def _layers(tmp_path: Path, **overrides: object) -> tuple[np.ndarray, np.ndarray]:
    """A card's background (RGB) and text layer (RGBA), as ints."""
    args: dict[str, object] = {
        "title": "The history of coffee",
        "on_screen_text": "Coffee reaches Europe",
        "narration": "Venetian merchants brought coffee to Europe.",
        "index": 2,
        "count": 6,
        "style": "bold",
        "width": 1080,
        "height": 1920,
        "kind": "scene",
    }
    args.update(overrides)
    name = "-".join(str(args[key]) for key in ("style", "index", "width", "height", "kind"))
    path = tmp_path / f"{name}-{abs(hash(str(args['on_screen_text'])))}.png"
    overlay = path.with_name(f"text-{path.name}")
    out = render_card(out_path=path, overlay_path=overlay, **args)  # type: ignore[arg-type]
    assert out == Layers(path, overlay)
    with Image.open(path) as background, Image.open(overlay) as text:
        assert background.format == text.format == "PNG"
        assert text.mode == "RGBA" and text.size == background.size
        return np.asarray(background.convert("RGB")).astype(np.int16), np.asarray(text).astype(np.int16)


def _render(tmp_path: Path, **overrides: object) -> np.ndarray:
    """What a viewer sees of a card: its text layer over its background, as RGB ints."""
    background, text = _layers(tmp_path, **overrides)
    alpha = text[..., 3:] / 255
    return np.rint(background * (1 - alpha) + text[..., :3] * alpha).astype(np.int16)


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("kind", ["scene", "data", "title"])
def test_exact_size_for_every_aspect_and_kind(tmp_path, width, height, kind):
    pixels = _render(tmp_path, width=width, height=height, kind=kind, on_screen_text="1,200 tonnes shipped")
    assert pixels.shape == (height, width, 3)


@pytest.mark.parametrize("style", STYLES)
def test_consecutive_cards_look_different(tmp_path, style):
    cards = [_render(tmp_path, style=style, index=index) for index in range(1, 7)]
    for before, after in zip(cards, cards[1:], strict=False):
        assert np.abs(before - after).mean() > 8
        # Different background colours, not only different text.
        assert np.abs(before[-5:, :, :] - after[-5:, :, :]).mean() > 8


def _luminance(pixels: np.ndarray) -> np.ndarray:
    return pixels @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_headline_is_drawn_in_high_contrast(tmp_path, width, height):
    pixels = _render(tmp_path, width=width, height=height)
    palette = palette_for("bold", 2, "The history of coffee")
    middle = pixels[int(height * 0.15) : int(height * 0.78), int(width * 0.1) : int(width * 0.9)]
    near_text = np.all(np.abs(middle - np.array(palette.text)) < 40, axis=-1)
    assert near_text.mean() > 0.02
    luminance = _luminance(middle)
    assert np.percentile(luminance, 99.5) - np.percentile(luminance, 0.5) > 100


def test_headline_changes_only_the_headline_region(tmp_path):
    first = _render(tmp_path, on_screen_text="Coffee reaches Europe")
    second = _render(tmp_path, on_screen_text="Brazil leads the world")
    assert np.abs(first - second)[400:1400].mean() > 3
    assert np.array_equal(first[int(1920 * 0.8) :], second[int(1920 * 0.8) :])


# One text for each layout, long enough to fill its box.
LAYOUT_TEXTS = {
    "data": ("data", "Between 1,000 and 2,000 tonnes of coffee beans were shipped from Mocha every year"),
    "statement": ("scene", "A very long headline that goes on and on about tonnes of beans and more words"),
    "list": ("scene", "Ports of call: Mocha, Venice, Amsterdam, London, Marseille, Istanbul"),
    "quote": ("scene", "\u201cCoffee is a slow poison, and I have been drinking it for eighty years.\u201d"),
    "pictogram": ("scene", "Coffee reaches Europe"),
    "title": ("title", "Coffee reaches Europe"),
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("layout", sorted(LAYOUT_TEXTS))
def test_bottom_fifth_stays_calm_for_captions(tmp_path, style, layout):
    kind, long_text = LAYOUT_TEXTS[layout]
    for index in range(1, 5):
        pixels = _render(tmp_path, style=style, index=index, kind=kind, on_screen_text=long_text)
        bottom = pixels[int(1920 * 0.8) :]
        # A smooth gradient only: no text, no shapes.
        assert _luminance(bottom).std() < 6
        assert np.abs(np.diff(bottom, axis=1)).max() <= 2
        palette = palette_for(style, index, "The history of coffee")
        assert not np.any(np.all(np.abs(bottom - np.array(palette.text)) < 12, axis=-1))


def test_every_palette_has_readable_text():
    for style in STYLES:
        palettes = PALETTES[style]
        assert len(palettes) >= 4
        assert len({palette.top for palette in palettes}) == len(palettes)
        for palette in palettes:
            for t in np.linspace(0, 1, 9):
                background = tuple(
                    round(a * (1 - t) + b * t) for a, b in zip(palette.top, palette.bottom, strict=True)
                )
                assert contrast_ratio(palette.text, background) >= 4.5, (style, palette)


def _tallest_text_run(pixels: np.ndarray, colour: tuple[int, int, int]) -> int:
    rows = np.all(np.abs(pixels - np.array(colour)) < 40, axis=-1).any(axis=1)
    best = run = 0
    for row in rows:
        run = run + 1 if row else 0
        best = max(best, run)
    return best


def test_data_card_shows_the_number_huge(tmp_path):
    data = _render(tmp_path, kind="data", on_screen_text="42% of homes")
    scene = _render(tmp_path, kind="scene", on_screen_text="42% of homes")
    palette = palette_for("bold", 2, "The history of coffee")
    assert _tallest_text_run(data, palette.text) > 1.2 * _tallest_text_run(scene, palette.text)


def test_a_figure_never_breaks_between_its_number_and_unit():
    narrow = figure_text("1,280 m", (255, 255, 255), 300, 20, 200, 400)
    assert narrow.lines == ["1,280 m"]
    # A long date may take two lines when that makes it much larger, split before the year.
    date = figure_text("27 May 1937", (255, 255, 255), 300, 20, 600, 600)
    assert date.lines == ["27 May", "1937"]
    wide = figure_text("27 May 1937", (255, 255, 255), 300, 20, 1600, 300)
    assert wide.lines == ["27 May 1937"]


def test_data_without_a_number_falls_back_to_a_scene_card(tmp_path):
    assert np.array_equal(
        _render(tmp_path, kind="data", on_screen_text="No numbers here"),
        _render(tmp_path, kind="scene", on_screen_text="No numbers here"),
    )


def test_empty_headline_uses_the_narration(tmp_path):
    with_narration = _render(tmp_path, on_screen_text="", narration="Venetian merchants brought coffee.")
    blank = _render(tmp_path, on_screen_text="", narration="")
    assert np.abs(with_narration - blank).mean() > 1


def test_odd_text_does_not_break_rendering(tmp_path):
    texts = [
        "\U0001f680\U0001f525 Launch day",
        "Supercalifragilisticexpialidocious" * 3,
        "\u00c9t\u00e9 \u2014 caf\u00e9",
    ]
    for text in texts:
        assert _render(tmp_path, on_screen_text=text, width=360, height=640).shape == (640, 360, 3)


def test_unknown_style_lists_the_styles(tmp_path):
    with pytest.raises(BadInput) as caught:
        _render(tmp_path, style="neon")
    message = str(caught.value)
    assert "neon" in message and all(style in message for style in STYLES) and "\n" not in message


@pytest.mark.parametrize(
    ("overrides", "match"),
    [({"kind": "poster"}, "unknown card kind"), ({"width": 10}, "too small"), ({"index": 7}, "out of range")],
)
def test_bad_arguments(tmp_path, overrides, match):
    with pytest.raises(BadInput, match=match):
        _render(tmp_path, **overrides)


def test_written_atomically(tmp_path):
    _render(tmp_path)
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_fonts_are_opened_once_not_per_card(tmp_path):
    """Cards are drawn once per scene, so what is slow (opening fonts) must happen once per size."""
    from tools.images import fonts, pictograms

    _render(tmp_path, index=1, on_screen_text="Coffee reaches Europe")
    opened = fonts._load.cache_info().misses, pictograms.font.cache_info().misses
    _render(tmp_path, index=3, on_screen_text="Coffee reaches Europe")
    assert (fonts._load.cache_info().misses, pictograms.font.cache_info().misses) == opened


def test_headline_shrinks_instead_of_breaking_a_word():
    _, lines, _ = fit("Common misconceptions", True, 150, 40, 1080 * 0.8, 600, 3)
    assert lines == ["Common", "misconceptions"] or lines == ["Common misconceptions"]


def _inside(mask: np.ndarray, box: Box) -> np.ndarray:
    """The part of a mask that lies in a box."""
    return mask[box.top : box.bottom, box.left : box.right]


def _outside(mask: np.ndarray, *boxes: Box) -> np.ndarray:
    """The pixels of a mask that lie in none of the boxes."""
    rest = mask.copy()
    for box in boxes:
        rest[box.top : box.bottom, box.left : box.right] = False
    return rest


@pytest.mark.parametrize(("width", "height"), SIZES + SMALL)
@pytest.mark.parametrize("layout", sorted(LAYOUT_TEXTS))
def test_all_text_lies_in_the_safe_areas(tmp_path, width, height, layout):
    kind, text = LAYOUT_TEXTS[layout]
    _, overlay = _layers(tmp_path, width=width, height=height, kind=kind, on_screen_text=text, index=1)
    drawn = overlay[..., 3] > 0
    areas = safe_areas(width, height)
    # Nothing outside the inner box (the platforms' buttons and bars), nothing where the captions go...
    assert not _outside(drawn, areas.inner).any(), layout
    assert not _inside(drawn, areas.captions).any(), layout
    # ...the header in its box, the card's words and pictogram in the content box.
    assert not _outside(drawn, areas.header, areas.content).any(), layout
    assert _inside(drawn, areas.content).mean() > 0.02, layout
    assert _inside(drawn, areas.header).any() == (kind != "title"), layout


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), *SMALL])
@pytest.mark.parametrize("layout", sorted(LAYOUT_TEXTS))
def test_the_background_has_no_text(tmp_path, width, height, layout):
    kind, text = LAYOUT_TEXTS[layout]
    size = {"width": width, "height": height, "kind": kind}
    background, overlay = _layers(tmp_path, **size, on_screen_text=text)
    # The words are all in the text layer: other words (of the same layout) leave the background as it was.
    other, _ = _layers(tmp_path, **size, on_screen_text=text.replace("o", "a"))
    assert np.array_equal(background, other), layout
    palette = palette_for("bold", 2, "The history of coffee")
    where_text = overlay[..., 3] > 0
    for colour in (palette.text, palette.accent):
        assert not np.all(np.abs(background[where_text] - np.array(colour)) < 12, axis=-1).any(), layout


def test_the_header_stays_in_place_from_card_to_card(tmp_path):
    areas = safe_areas(1080, 1920)
    headers = []
    for index, text in (
        (2, "Coffee reaches Europe"),
        (3, "42% of homes"),
        (4, "Ports: Mocha, Venice, London"),
    ):
        _, overlay = _layers(
            tmp_path, index=index, on_screen_text=text, kind="data" if "%" in text else "scene"
        )
        drawn = _inside(overlay[..., 3] > 0, areas.header)
        rows, columns = np.nonzero(drawn)
        headers.append((rows.min(), rows.max(), columns.min(), columns.max()))
    # The same title, counter and bar at the same place, whatever the card's layout.
    assert all(abs(a - b) <= 2 for header in headers[1:] for a, b in zip(header, headers[0], strict=True))


def _content(pixels: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Where a card draws in one colour, between its header and the captions."""
    height = pixels.shape[0]
    return np.all(np.abs(pixels[int(height * 0.1) : int(height * 0.8)] - np.array(colour)) < 40, axis=-1)


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080), (1080, 1080)])
def test_layouts_differ_by_content_not_only_by_palette(tmp_path, width, height):
    palette = palette_for("bold", 2, "The history of coffee")
    shapes = {}
    for layout in ("data", "statement", "list", "quote", "pictogram"):
        kind, text = LAYOUT_TEXTS[layout]
        pixels = _render(tmp_path, width=width, height=height, kind=kind, on_screen_text=text)
        # Same palette, so any difference is the layout: where the words and the accent shapes go.
        shapes[layout] = _content(pixels, palette.text) | _content(pixels, palette.accent)
    names = sorted(shapes)
    for position, first in enumerate(names):
        for second in names[position + 1 :]:
            assert (shapes[first] != shapes[second]).mean() > 0.04, (first, second)


def test_a_pictogram_card_shows_a_large_pictogram(tmp_path):
    palette = palette_for("bold", 2, "The history of coffee")
    pixels = _render(tmp_path, on_screen_text="Coffee reaches Europe")
    disc = _content(pixels, palette.accent)
    assert disc.mean() > 0.05  # the accent disc behind the pictogram


def test_the_visual_description_chooses_the_pictogram(tmp_path):
    volcano = _render(tmp_path, on_screen_text="Where it began", visual="Lava pouring from a volcano")
    ship = _render(tmp_path, on_screen_text="Where it began", visual="A sailing ship at sea")
    assert np.abs(volcano - ship)[200:1200].mean() > 1
    # Naming the pictogram draws the same card as the words that choose it.
    named = _render(tmp_path, on_screen_text="Where it began", pictogram="volcano")
    assert np.array_equal(named, volcano)


def test_an_unknown_pictogram_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="unknown pictogram 'unicorn'"):
        _render(tmp_path, pictogram="unicorn")


def test_planned_pictograms_do_not_repeat_on_neighbouring_cards():
    from tools.images.cards import plan_pictograms

    narration = "Ask where coffee comes from and who first drank coffee."
    scenes = [
        {"on_screen_text": "Where it comes from", "visual": "", "narration": narration},
        {"on_screen_text": "Trace the origins", "visual": "", "narration": narration},
        {"on_screen_text": "Why coffee matters", "visual": "", "narration": narration},
        {"on_screen_text": "Opened in 1615", "visual": "", "narration": narration},
    ]
    plan = plan_pictograms(scenes, "The history of coffee")
    assert len(plan) == len(scenes)
    assert all(before != after for before, after in zip(plan, plan[1:], strict=False))
    assert plan[3] == "calendar-days"  # a year is a date: the data card's figure says so
    assert plan == plan_pictograms(scenes, "The history of coffee")
    # When nothing else fits, a repeat beats a generic icon.
    lava = [{"on_screen_text": "Volcanoes"}, {"on_screen_text": "Volcanoes erupt", "visual": "A volcano"}]
    assert plan_pictograms(lava, "Volcanoes") == ["volcano", "volcano"]
