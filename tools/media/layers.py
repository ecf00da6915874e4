"""Transparent RGBA pictures (a scene's text layer, a caption) as premultiplied yuv420p patches, blended
onto frames in place.

A layer is converted once; blending it costs a few integer passes over its non-transparent rows only, so a
header at the top and a headline in the middle cost their own areas, not the whole frame between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from tools.errors import BadInput

# BT.709 luma weights; limited ("tv") range puts Y in 16..235 and Cb/Cr in 16..240.
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
RGB_TO_YUV = np.array(
    [
        [219 / 255 * _KR, 219 / 255 * _KG, 219 / 255 * _KB, 16.0],
        [-224 / 255 * _KR / (2 * (1 - _KB)), -224 / 255 * _KG / (2 * (1 - _KB)), 224 / 255 / 2, 128.0],
        [224 / 255 / 2, -224 / 255 * _KG / (2 * (1 - _KR)), -224 / 255 * _KB / (2 * (1 - _KR)), 128.0],
    ],
    dtype=np.float32,
)
# Transparent rows between two bands cost less to blend than a second band's calls cost to make.
_MERGE_GAP_PX = 24

U8 = NDArray[np.uint8]
U16 = NDArray[np.uint16]
F32 = NDArray[np.float32]


@dataclass
class Patch:
    """A rectangle of a layer: premultiplied planes and inverse alphas on a 256 scale, at even (x, y)."""

    x: int
    y: int
    inv_y: U16
    pm_y: U16
    inv_c: U16
    pm_u: U16
    pm_v: U16
    tmp_y: U16
    tmp_c: U16


def even_up(value: int) -> int:
    """Round up to an even number; chroma is subsampled 2x2, so patches start and end on even pixels."""
    return value + (value & 1)


def even_down(value: int) -> int:
    """Round down to an even number."""
    return value - (value & 1)


def patch_from_rgba(rgba: U8, x: int, y: int) -> Patch:
    """Convert an RGBA picture (straight alpha, even width and height) placed at even (x, y) to a patch."""
    height, width = rgba.shape[:2]
    if width % 2 or height % 2 or x % 2 or y % 2:
        raise ValueError(f"a patch must be even-sized at even coordinates, got {width}x{height} at {x},{y}")
    pixels = rgba.astype(np.float32)
    alpha: F32 = pixels[..., 3] * np.float32(1 / 255)
    yuv = np.asarray(cv2.transform(np.ascontiguousarray(pixels[..., :3]), RGB_TO_YUV), dtype=np.float32)
    # Premultiply before subsampling so chroma at glyph edges is weighted by coverage.
    premult: F32 = yuv * alpha[..., None]
    half = (width // 2, height // 2)
    chroma = np.ascontiguousarray(premult[..., 1:])
    premult_c = np.asarray(cv2.resize(chroma, half, interpolation=cv2.INTER_AREA), dtype=np.float32)
    alpha_c = np.asarray(cv2.resize(alpha, half, interpolation=cv2.INTER_AREA), dtype=np.float32)
    return Patch(
        x=x,
        y=y,
        inv_y=_inverse(alpha),
        pm_y=_premultiplied(premult[..., 0]),
        inv_c=_inverse(alpha_c),
        pm_u=_premultiplied(premult_c[..., 0]),
        pm_v=_premultiplied(premult_c[..., 1]),
        tmp_y=np.empty((height, width), np.uint16),
        tmp_c=np.empty((height // 2, width // 2), np.uint16),
    )


def _inverse(alpha: F32) -> U16:
    return np.asarray(np.rint(256 - alpha * 256), dtype=np.uint16)


def _premultiplied(plane: F32) -> U16:
    # The +128 rounds the final >> 8.
    return np.asarray(np.rint(plane * 256 + 128), dtype=np.uint16)


def layer_patches(rgba: U8) -> list[Patch]:
    """The non-transparent parts of a frame-sized RGBA layer as patches: one per band of rows holding
    anything, each cropped to its own columns and even-aligned; an empty layer gives none."""
    height, width = rgba.shape[:2]
    alpha = rgba[..., 3]
    # Work in pairs of rows so every band starts and ends on an even row.
    pair_rows = alpha[: height - height % 2].reshape(height // 2, 2 * width).any(axis=1)
    used = np.flatnonzero(pair_rows)
    if used.size == 0:
        return []
    bands: list[list[int]] = []
    for pair in used.tolist():
        if bands and (pair - bands[-1][1]) * 2 <= _MERGE_GAP_PX:
            bands[-1][1] = pair + 1
        else:
            bands.append([pair, pair + 1])
    patches = []
    for first, last in bands:
        top, bottom = 2 * first, 2 * last
        cols = np.flatnonzero(alpha[top:bottom].any(axis=0))
        left, right = even_down(int(cols[0])), min(width, even_up(int(cols[-1]) + 1))
        patches.append(patch_from_rgba(np.ascontiguousarray(rgba[top:bottom, left:right]), left, top))
    return patches


def load_layer(path: Path, width: int, height: int) -> list[Patch]:
    """Read a scene's text layer (a transparent PNG of the frame's size) once, as patches.

    A layer of the frame's aspect but another size is scaled to the frame; another aspect is refused, since
    stretching or cropping it would distort or cut off its text.
    """
    try:
        with Image.open(path) as img:
            rgba = np.asarray(img.convert("RGBA"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read scene text layer {path}: {exc}; re-render the scene card") from exc
    rows, cols = rgba.shape[:2]
    if (rows, cols) != (height, width):
        if abs(cols * height - rows * width) > max(cols, rows):
            raise BadInput(
                f"scene text layer {path} is {cols}x{rows}, not the video's {width}x{height}; "
                "re-render the scene card at the video's size"
            )
        rgba = _resized(rgba, width, height)
    return layer_patches(rgba)


def _resized(rgba: U8, width: int, height: int) -> U8:
    """Scale a layer with premultiplied colour, so transparent pixels do not darken the text's edges."""
    pixels = rgba.astype(np.float32)
    pixels[..., :3] *= pixels[..., 3:] / 255
    scaled = np.asarray(cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA), dtype=np.float32)
    alpha = scaled[..., 3:]
    scaled[..., :3] = np.where(alpha > 0, scaled[..., :3] * 255 / np.maximum(alpha, 1e-6), 0)
    return np.asarray(np.clip(np.rint(scaled), 0, 255), dtype=np.uint8)


def blend(patches: Sequence[Patch], y: U8, u: U8, v: U8) -> None:
    """Draw patches over yuv420p planes in place."""
    for p in patches:
        _blend_plane(y, p.x, p.y, p.inv_y, p.pm_y, p.tmp_y)
        _blend_plane(u, p.x // 2, p.y // 2, p.inv_c, p.pm_u, p.tmp_c)
        _blend_plane(v, p.x // 2, p.y // 2, p.inv_c, p.pm_v, p.tmp_c)


def _blend_plane(plane: U8, x: int, y: int, inv_a: U16, pm: U16, tmp: U16) -> None:
    """Alpha-blend a premultiplied patch into a plane in place: (dst * (256 - a) + src * a + 128) >> 8."""
    h, w = inv_a.shape
    roi = plane[y : y + h, x : x + w]
    np.multiply(roi, inv_a, out=tmp)
    np.add(tmp, pm, out=tmp)
    np.right_shift(tmp, 8, out=tmp)
    roi[...] = tmp
