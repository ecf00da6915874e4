"""Offline scene cards: exact size, varied, readable, and calm where captions go."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from state import STYLES
from tools.errors import BadInput
from tools.images import PALETTES, contrast_ratio, palette_for, render_card

SIZES = [(1080, 1920), (1920, 1080), (1080, 1080), (360, 640)]


def _render(tmp_path: Path, **overrides: object) -> np.ndarray:
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
    out = render_card(out_path=path, **args)  # type: ignore[arg-type]
    assert out == path
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB")).astype(np.int16)


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


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("kind", ["scene", "data"])
def test_bottom_fifth_stays_calm_for_captions(tmp_path, style, kind):
    long_text = "A very long headline that goes on and on about 3,500 tonnes of beans and more words"
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


def test_data_card_shows_the_number_huge(tmp_path):
    data = _render(tmp_path, kind="data", on_screen_text="3.5 million tonnes")
    scene = _render(tmp_path, kind="scene", on_screen_text="3.5 million tonnes")
    palette = palette_for("bold", 2, "The history of coffee")

    def tallest_text_run(pixels: np.ndarray) -> int:
        rows = np.all(np.abs(pixels - np.array(palette.text)) < 40, axis=-1).any(axis=1)
        best = run = 0
        for row in rows:
            run = run + 1 if row else 0
            best = max(best, run)
        return best

    assert tallest_text_run(data) > 1.2 * tallest_text_run(scene)


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


def test_fast_enough(tmp_path):
    _render(tmp_path)
    best = min(_timed(tmp_path, index) for index in range(1, 4))
    assert best < 0.3


def _timed(tmp_path: Path, index: int) -> float:
    start = time.perf_counter()
    _render(tmp_path, index=index, on_screen_text=f"Timing run {index}")
    return time.perf_counter() - start


def test_headline_shrinks_instead_of_breaking_a_word():
    from tools.images.cards import _fit

    _, lines, _ = _fit("Common misconceptions", True, 150, 40, 1080 * 0.8, 600, 3)
    assert lines == ["Common", "misconceptions"] or lines == ["Common misconceptions"]
