"""Backgrounds of offline pictures: the style's gradient and the faint shapes that move with the pan."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tools.images.palettes import Palette

__all__ = ["VARIANTS", "decorate", "gradient"]

VARIANTS = 4


def gradient(width: int, height: int, palette: Palette) -> Image.Image:
    """The palette's vertical gradient as an RGB picture; vertical keeps the caption band calm."""
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    top = np.array(palette.top, dtype=np.float32)
    bottom = np.array(palette.bottom, dtype=np.float32)
    column = (top[None, :] * (1 - ramp) + bottom[None, :] * ramp).round().astype(np.uint8)
    pixels = np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3)))
    return Image.fromarray(pixels, "RGB")


def decorate(layer: Image.Image, variant: int, palette: Palette, limit_y: int) -> None:
    """Faint shapes that change with the scene (a large disc, rings, stripes or a dot grid), all above
    `limit_y` so the caption band stays a plain gradient."""
    draw = ImageDraw.Draw(layer)
    width, height = layer.size
    short = min(width, height)
    text_rgba = (*palette.text, 22)
    accent_rgba = (*palette.accent, 46)
    if variant == 0:
        # Whole, above the captions: a disc cut flat by the caption band looks like a mistake.
        radius = int(min(short * 0.42, limit_y * 0.3))
        centre_x, centre_y = int(width * 0.02), limit_y - radius - short // 30
        draw.ellipse(
            (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius),
            fill=(*palette.text, 14),
        )
    elif variant == 1:
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
    # Shapes must never reach the caption band.
    draw.rectangle((0, limit_y, width, height), fill=(0, 0, 0, 0))
