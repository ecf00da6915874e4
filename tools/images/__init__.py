"""Image tools: offline title and data cards rendered with Pillow."""

from tools.images.cards import KINDS, PALETTES, Palette, contrast_ratio, palette_for, render_card

__all__ = ["KINDS", "PALETTES", "Palette", "contrast_ratio", "palette_for", "render_card"]
