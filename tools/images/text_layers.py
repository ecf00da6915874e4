"""A scene picture in two files: the background the renderer pans and zooms, and the still text layer over it.

The text layer is an RGBA PNG of the frame's size, transparent except for its words (and their scrims,
rules and pictograms), so the renderer can draw it over every frame of the scene without moving it.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PIL import Image, UnidentifiedImageError

from tools.files import atomic_path

__all__ = ["Layers", "layer_problem", "new_layer", "save_layer"]

_READ_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


class Layers(NamedTuple):
    """The two files of a scene picture: the moving background and the still text layer."""

    background: Path
    overlay: Path


def new_layer(width: int, height: int) -> Image.Image:
    """An empty (fully transparent) text layer of the frame's size."""
    return Image.new("RGBA", (width, height), (0, 0, 0, 0))


def save_layer(layer: Image.Image, path: Path) -> Path:
    """Write a text layer atomically as an RGBA PNG."""
    with atomic_path(path) as tmp:
        # Level 1: mostly transparent layers compress almost as well as at level 6, in a fraction of the time.
        layer.convert("RGBA").save(tmp, format="PNG", compress_level=1)
    return path


def layer_problem(path: Path, width: int, height: int) -> str | None:
    """What is wrong with the text layer at `path` for a width x height frame, or None when it reads whole.

    The layer's whole pixel data is decoded, so a truncated or overwritten file is found, not only a
    missing one.
    """
    try:
        with Image.open(path, formats=("PNG",)) as image:
            size, mode = image.size, image.mode
            image.load()
    except FileNotFoundError:
        return "missing"
    except _READ_ERRORS as exc:
        return f"damaged ({type(exc).__name__})"
    if size != (width, height):
        return f"of size {size[0]}x{size[1]}, not the frame's {width}x{height}"
    if mode != "RGBA":
        return f"an {mode} picture, not a transparent (RGBA) layer"
    return None
