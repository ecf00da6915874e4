"""The header every scene shows in its text layer: the video's title, the "n / N" counter and a progress bar.

It sits in the safe areas' header box at the same place and size on every scene, a card's or a photo's,
so it stays put through the whole video. Over a card it takes the card's colours; over a photograph or a
clip, nothing is known about what lies under it, so it is white on a dark rounded scrim.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw

from tools.errors import BadInput
from tools.images.card_parts import ellipsize
from tools.images.fonts import drawable_text, font_for
from tools.images.palettes import RGB, Palette
from tools.images.safe_areas import safe_areas
from tools.images.text_layers import new_layer, save_layer

__all__ = [
    "PHOTO_HEADER",
    "SCRIM",
    "HeaderStyle",
    "card_header",
    "draw_header",
    "render_header_layer",
]

RGBA = tuple[int, int, int, int]

# As dark as the caption box: white text on it keeps a contrast above 4.5:1 even over a white photo.
SCRIM: RGBA = (0, 0, 0, 140)
# Shares of the header box's height.
_TEXT_SHARE = 0.40
_PAD_Y_SHARE = 0.12
_PAD_X_SHARE = 0.22
_BAR_SHARE = 0.09


class HeaderStyle(NamedTuple):
    """The header's colours: its text, the progress bar's track and filled part, and an optional scrim."""

    text: RGB
    track: RGBA
    fill: RGBA
    scrim: RGBA | None = None


PHOTO_HEADER = HeaderStyle(
    text=(255, 255, 255), track=(255, 255, 255, 80), fill=(255, 255, 255, 255), scrim=SCRIM
)


def card_header(palette: Palette) -> HeaderStyle:
    """The header over a card: the card's text colour, its accent on the bar, no scrim (the palette's text
    already reads on its whole gradient)."""
    red, green, blue = (round(t * 0.3 + b * 0.7) for t, b in zip(palette.text, palette.top, strict=True))
    return HeaderStyle(text=palette.text, track=(red, green, blue, 255), fill=(*palette.accent, 255))


def draw_header(layer: Image.Image, title: str, index: int, count: int, style: HeaderStyle) -> None:
    """Draw the header (title at the left, "index / count" at the right, the progress bar under them) into
    the header box of `layer`'s frame; nothing of it leaves that box."""
    box = safe_areas(*layer.size).header
    # Drawn apart and laid over: Pillow's shapes replace the pixels under them, they do not blend.
    header = Image.new("RGBA", (box.width, box.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(header)
    if style.scrim is not None:
        # Rounded like the caption box.
        draw.rounded_rectangle(
            (0, 0, box.width - 1, box.height - 1), radius=round(box.height * 0.25), fill=style.scrim
        )
    pad_x, pad_y = round(box.height * _PAD_X_SHARE), round(box.height * _PAD_Y_SHARE)
    left, right = pad_x, box.width - pad_x
    size = max(4, round(box.height * _TEXT_SHARE))
    counter = f"{index} / {count}"
    counter_font = font_for(counter, size)
    counter_width = counter_font.getlength(counter)
    draw.text((right - counter_width, pad_y), counter, font=counter_font, fill=style.text, anchor="la")
    shown = drawable_text(title)
    room = right - left - counter_width - size
    if shown and room > size:
        title_font = font_for(shown, size, bold=False)
        shown = ellipsize(shown, title_font, room)
        draw.text((left, pad_y), shown, font=title_font, fill=style.text, anchor="la")
    bar = max(2, round(box.height * _BAR_SHARE))
    bottom = box.height - pad_y
    bar_layer = Image.new("RGBA", header.size, (0, 0, 0, 0))
    bars = ImageDraw.Draw(bar_layer)
    bars.rectangle((left, bottom - bar, right - 1, bottom - 1), fill=style.track)
    filled = left + round((right - left) * min(index, count) / count)
    if filled > left:
        bars.rectangle((left, bottom - bar, filled - 1, bottom - 1), fill=style.fill)
    header.alpha_composite(bar_layer)
    layer.alpha_composite(header, dest=(box.left, box.top))


def render_header_layer(
    *, title: str, index: int, count: int, width: int, height: int, out_path: Path
) -> Path:
    """Write the text layer of a photograph's or a clip's scene: only the header, on its scrim."""
    if width < 32 or height < 32:
        raise BadInput(f"frame size {width}x{height} is too small; use at least 32x32 pixels")
    if count < 1 or not 1 <= index <= count:
        raise BadInput(f"scene {index} of {count} is out of range; number scenes from 1 to the scene count")
    layer = new_layer(width, height)
    draw_header(layer, title, index, count, PHOTO_HEADER)
    return save_layer(layer, out_path)
