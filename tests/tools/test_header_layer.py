"""The text layer of a photograph's scene: the header alone, in its box, readable over any photo; and how a
damaged text layer is told apart from a whole one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from tools.errors import BadInput
from tools.images.header_layer import render_header_layer
from tools.images.palettes import contrast_ratio
from tools.images.safe_areas import safe_areas
from tools.images.text_layers import layer_problem

ASPECTS = [(216, 384), (384, 216), (256, 256), (1080, 1920), (1920, 1080), (1080, 1080)]


def _layer(path: Path, width: int, height: int, **options: object) -> np.ndarray:
    args: dict[str, object] = {"title": "How bees make honey", "index": 2, "count": 5}
    args.update(options)
    out = render_header_layer(width=width, height=height, out_path=path, **args)  # type: ignore[arg-type]
    assert out == path
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "RGBA" and image.size == (width, height)
        return np.asarray(image).astype(int)


@cache
def _photo(width: int, height: int) -> np.ndarray:
    """A busy, bright photograph at the frame's size: the hardest ground for white letters."""
    picture = Image.fromarray(data.astronaut()).resize((width, height))
    return np.asarray(picture).astype(int)


def _over(ground: np.ndarray, layer: np.ndarray) -> np.ndarray:
    alpha = layer[..., 3:] / 255
    return np.rint(ground * (1 - alpha) + layer[..., :3] * alpha)


@pytest.mark.parametrize(("width", "height"), ASPECTS)
def test_the_header_is_all_the_layer_has_and_it_stays_in_its_box(tmp_path, width, height):
    layer = _layer(tmp_path / "text.png", width, height)
    header = safe_areas(width, height).header
    drawn = layer[..., 3] > 0
    inside = drawn[header.top : header.bottom, header.left : header.right]
    assert drawn.sum() == inside.sum()
    # The scrim fills the box, save its rounded corners.
    assert inside.mean() > 0.95
    assert layer_problem(tmp_path / "text.png", width, height) is None


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080), (256, 256)])
def test_the_header_reads_over_any_photo(tmp_path, width, height):
    layer = _layer(tmp_path / "text.png", width, height)
    header = safe_areas(width, height).header
    box = layer[header.top : header.bottom, header.left : header.right]
    levels, counts = np.unique(box[..., 3], return_counts=True)
    scrim = box[..., 3] == levels[np.argmax(counts)]
    letters = (box[..., 3] == 255) & (box[..., :3] > 250).all(axis=-1)
    assert letters.sum() > 20
    for ground in (np.full((height, width, 3), 255), _photo(width, height)):
        seen = _over(ground, layer)[header.top : header.bottom, header.left : header.right]
        # Against the lightest the scrim ever gets over this ground, the letters keep 4.5:1.
        luminance = seen[scrim] @ np.array([0.2126, 0.7152, 0.0722])
        lightest = tuple(int(v) for v in seen[scrim][np.argmax(luminance)])
        letter = tuple(int(v) for v in np.median(seen[letters], axis=0))
        assert contrast_ratio(letter, lightest) >= 4.5, (lightest, letter)  # type: ignore[arg-type]


def test_the_progress_bar_grows_with_the_scene(tmp_path):
    header = safe_areas(1080, 1920).header
    widths = []
    for index in (1, 3, 5):
        layer = _layer(tmp_path / f"{index}.png", 1080, 1920, index=index)
        bar_rows = layer[header.top : header.bottom, header.left : header.right]
        # The filled part of the bar is opaque white; the rest of the bar is a fainter track.
        solid = bar_rows[..., 3] == 255
        row = int(np.argmax(solid.sum(axis=1)))
        widths.append(int(solid[row].sum()))
    assert widths[0] < widths[1] < widths[2]


def test_a_long_title_is_cut_short_not_run_into_the_counter(tmp_path):
    long = "The extraordinary and surprisingly long history of how honey bees make honey " * 3
    layer = _layer(tmp_path / "long.png", 1080, 1920, title=long)
    header = safe_areas(1080, 1920).header
    # The line of words is the upper part of the box (the bar is at its bottom).
    words = layer[header.top : header.top + header.height * 6 // 10, header.left : header.right, 3] == 255
    columns = np.nonzero(words.any(axis=0))[0]
    assert columns.size
    assert np.diff(columns).max() > header.height * 0.2  # a clear gap before "2 / 5"
    # An emoji-only title draws no boxes: the counter and bar alone.
    _layer(tmp_path / "emoji.png", 1080, 1920, title="\U0001f41d\U0001f36f")


@pytest.mark.parametrize(
    ("options", "match"),
    [({"index": 6}, "out of range"), ({"count": 0}, "out of range"), ({"width": 16}, "too small")],
)
def test_bad_arguments(tmp_path, options, match):
    args: dict[str, object] = {"title": "t", "index": 2, "count": 5, "width": 320, "height": 320}
    args.update(options)
    with pytest.raises(BadInput, match=match):
        render_header_layer(out_path=tmp_path / "x.png", **args)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


def test_a_damaged_layer_is_named(tmp_path):
    path = tmp_path / "text.png"
    assert layer_problem(path, 320, 320) == "missing"
    _layer(path, 320, 320)
    assert layer_problem(path, 320, 320) is None
    assert layer_problem(path, 320, 480) == "of size 320x320, not the frame's 320x480"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert (layer_problem(path, 320, 320) or "").startswith("damaged")
    path.write_bytes(b"not a picture")
    assert (layer_problem(path, 320, 320) or "").startswith("damaged")
    Image.new("RGB", (320, 320)).save(path)
    assert "not a transparent (RGBA) layer" in (layer_problem(path, 320, 320) or "")
