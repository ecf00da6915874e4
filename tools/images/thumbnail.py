"""The video's thumbnail: its title in large bold type over the strongest scene picture, made to be clicked.

The picture is a scene's background (a photograph before a drawn card), cropped to the thumbnail's aspect
around its subject. The title goes where the picture's subject is not (the top or the bottom of the safe
area), wrapped to at most three balanced lines as large as they fit, in white with a dark outline and a
soft shadow over a dark gradient scrim; the scrim darkens until the text's backdrop gives a contrast of
at least 4.5:1. There is no caption and no counter: it is not a frame of the video.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from state import Artifact
from tools.errors import BadInput
from tools.files import atomic_path
from tools.images.crop import fit_to_subject, saliency_map
from tools.images.fonts import drawable_text, font_for, wrap_text
from tools.images.palettes import RGB, palette_for, relative_luminance
from tools.images.safe_areas import Box, safe_areas
from tools.text.line_breaks import Unit, join, units

__all__ = [
    "MAX_BYTES",
    "MAX_LINES",
    "MIN_CONTRAST",
    "THUMBNAIL_SIZES",
    "TitleLayout",
    "backdrop_contrast",
    "design_thumbnail",
    "layout_title",
    "picture_strength",
    "thumbnail_size",
]

# What the platforms show best: YouTube asks for 1280x720; Shorts and Reels covers are full-screen 9:16.
THUMBNAIL_SIZES: dict[str, tuple[int, int]] = {"16:9": (1280, 720), "9:16": (1080, 1920), "1:1": (1080, 1080)}
# YouTube's thumbnails.set takes at most 2 MB; decimal megabytes, the stricter reading, as limits.py counts.
MAX_BYTES = 2 * 1000 * 1000
MAX_LINES = 3
# WCAG AA for text: the title against the darkest scrim that still shows the picture.
MIN_CONTRAST = 4.5

TEXT = (255, 255, 255)
OUTLINE = (10, 10, 10)
# Of the safe area's height, the most the title block may cover: the picture must still be seen.
_TEXT_SHARE = {"wide": 0.62, "square": 0.55, "vertical": 0.42}
# Type size bounds, as shares of the frame's short side.
_MAX_FONT_SHARE = 0.2
_MIN_FONT_SHARE = 0.055
_LINE_EM = 1.1
# How much larger another line must make the type to be worth it: fewer lines read faster at a glance,
# but a vertical frame has height to spare and a narrow column.
_LINE_GAIN = {"wide": 1.15, "square": 1.15, "vertical": 1.05}
_STROKE_EM = 0.07
_SHADOW_EM = 0.05
_ACCENT_EM = 0.14  # the accent bar's thickness
_ACCENT_GAP_EM = 0.3
# The scrim: full strength over the title (and this much of the frame beyond it), fading over FADE.
_SCRIM_PAD = 0.06
_SCRIM_FADE = 0.3
_SCRIM_START, _SCRIM_STEP, _SCRIM_MOST = 0.45, 0.08, 0.95
# The share of the title's backdrop that must be dark enough (the brightest 5 % may be highlights).
_BACKDROP_PERCENTILE = 95
_STRENGTH_SIDE = 160
_COVER_SLACK = 1.5
_JPEG_QUALITIES = (90, 84, 78, 70, 60, 50)


def thumbnail_size(aspect: str) -> tuple[int, int]:
    """The thumbnail's (width, height) for a video aspect, the same for preview and full-size runs."""
    if aspect not in THUMBNAIL_SIZES:
        raise BadInput(f"no thumbnail size for aspect '{aspect}'; use one of: {', '.join(THUMBNAIL_SIZES)}")
    return THUMBNAIL_SIZES[aspect]


@dataclass(frozen=True)
class TitleLayout:
    """Where the title goes: its lines, type size, outline, and the box its ink (with shadow) fills."""

    lines: tuple[str, ...]
    font_px: int
    line_px: int
    stroke: int
    shadow: int
    box: Box
    centred: bool
    at_top: bool


def design_thumbnail(
    *,
    title: str,
    pictures: Sequence[Artifact],
    style: str,
    width: int,
    height: int,
    out_path: Path,
) -> Path:
    """Draw the title over the strongest of `pictures` as a width x height JPEG under MAX_BYTES, atomically.

    `pictures` are scene backgrounds (their "path"; a "media": "clip" entry gives a frame of the clip);
    ones that cannot be read are skipped, and with none left the style's gradient stands in.
    """
    if width < 64 or height < 64:
        raise BadInput(f"thumbnail size {width}x{height} is too small; use at least 64x64 pixels")
    palette = palette_for(style, 1, title)
    background = _strongest(pictures, width, height)
    if background is None:
        background = _gradient(width, height, palette.top, palette.bottom)
    text = drawable_text(title)
    image = background
    if text:
        layout = layout_title(text, width, height, _saliency(background))
        image = _draw(background, layout, palette.accent)
    _save_jpeg(image, out_path)
    return out_path


def layout_title(
    text: str, width: int, height: int, saliency: npt.NDArray[np.float32] | None = None
) -> TitleLayout:
    """Wrap `text` to at most MAX_LINES balanced lines, as large as fit the safe area, off the subject.

    `saliency` (any size, [0, 1]) says where the picture's subject is; the title takes the top or the bottom
    of the safe area, whichever covers less of it (the bottom on a tie).
    """
    areas = safe_areas(width, height)
    inner = areas.inner
    short = min(width, height)
    most_px = max(8, round(short * _MAX_FONT_SHARE))
    least_px = max(8, round(short * _MIN_FONT_SHARE))
    room_h = inner.height * _TEXT_SHARE[areas.shape]
    pieces = units(text)
    best: tuple[int, tuple[str, ...]] | None = None
    for count in range(1, MAX_LINES + 1):
        if count > len(pieces):
            break
        lines = _balanced(pieces, count, font_for(text, 100))
        px = _largest(lines, text, least_px, most_px, inner.width, room_h)
        if px is not None and (best is None or px > best[0] * _LINE_GAIN[areas.shape]):
            best = (px, lines)
    if best is None:
        # Too long for three lines even at the smallest size: wrap greedily and end the third with "…".
        best = (least_px, _cut(text, least_px, inner.width))
    px, lines = best
    centred = areas.shape == "vertical"
    block_w, block_h, _ = _extent(lines, text, px)
    accent = _accent_size(px)
    total_h = block_h + accent[1] + accent[2]
    at_top = _top_is_calmer(saliency, inner, total_h, width, height)
    top = inner.top if at_top else inner.bottom - total_h
    left = round(inner.centre_x - block_w / 2) if centred else inner.left
    box = Box(left, top, left + block_w, top + total_h)
    return TitleLayout(
        lines=lines,
        font_px=px,
        line_px=round(px * _LINE_EM),
        stroke=_stroke(px),
        shadow=_shadow(px),
        box=box,
        centred=centred,
        at_top=at_top,
    )


def picture_strength(image: Image.Image) -> float:
    """How strongly a picture reads at a glance, about 0 to 1: colourfulness, contrast and a clear subject."""
    small = image.convert("RGB")
    small.thumbnail((_STRENGTH_SIDE, _STRENGTH_SIDE), Image.Resampling.BOX)
    rgb = np.asarray(small, dtype=np.float32)
    # Hasler and Süsstrunk's colourfulness: about 0 for grey, 40 for an average photo, 100+ for a vivid one.
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    colourful = math.hypot(float(rg.std()), float(yb.std())) + 0.3 * math.hypot(
        float(rg.mean()), float(yb.mean())
    )
    luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    contrast = float(luma.std())
    saliency = saliency_map(np.asarray(small, dtype=np.uint8))
    # A clear subject: the most salient tenth stands well above the rest of the picture.
    ranked = np.sort(saliency.ravel())
    top = ranked[int(ranked.size * 0.9) :]
    subject = float(top.mean() - ranked.mean()) if ranked.size else 0.0
    return 0.4 * min(1.0, colourful / 100) + 0.3 * min(1.0, contrast / 70) + 0.3 * min(1.0, subject / 0.6)


def backdrop_contrast(image: Image.Image, box: Box) -> float:
    """Contrast of white text against the backdrop in `box` (at its 95th percentile luminance)."""
    crop = np.asarray(image.convert("RGB").crop((box.left, box.top, box.right, box.bottom)), dtype=np.float32)
    luminance = _luminance(crop)
    level = float(np.percentile(luminance, _BACKDROP_PERCENTILE)) if luminance.size else 0.0
    # WCAG's ratio, as palettes.contrast_ratio states it, with the backdrop given as a luminance.
    return (relative_luminance(TEXT) + 0.05) / (level + 0.05)


def _strongest(pictures: Sequence[Artifact], width: int, height: int) -> Image.Image | None:
    """The picture that reads best, cropped to width x height around its subject; photographs first."""
    loaded: list[tuple[bool, Image.Image]] = []
    for picture in pictures:
        image = _load(picture, width, height)
        if image is not None:
            loaded.append((picture.get("tier", "offline") != "offline", image))
    if not loaded:
        return None
    photos = [image for photo, image in loaded if photo]
    pool = photos or [image for _, image in loaded]
    scale = _STRENGTH_SIDE / max(width, height)
    small = (max(8, round(width * scale)), max(8, round(height * scale)))
    scores = [picture_strength(fit_to_subject(image, *small)) for image in pool]
    # The earlier scene wins a tie: the opening usually shows the topic itself.
    chosen = pool[max(range(len(pool)), key=lambda k: (scores[k], -k))]
    return fit_to_subject(chosen, width, height).convert("RGB")


def _load(picture: Artifact, width: int, height: int) -> Image.Image | None:
    """A scene's picture as RGB (a clip's middle frame), or None when it cannot be read."""
    path = Path(picture.get("path", ""))
    try:
        if picture.get("media") == "clip":
            frame = _clip_frame(path)
            return None if frame is None else _reduced(frame, width, height)
        with Image.open(path) as opened:
            # JPEG decodes at a fraction of the size when that still covers the thumbnail: much cheaper.
            opened.draft("RGB", (width, height))
            image = ImageOps.exif_transpose(opened).convert("RGB")
            return _reduced(image, width, height)
    except (OSError, ValueError, Image.DecompressionBombError, av.FFmpegError):
        return None


def _reduced(image: Image.Image, width: int, height: int) -> Image.Image:
    """The picture at most half again the size that covers width x height: a 24-megapixel photograph
    would hold 70 MB per scene while the pictures are compared, and gains nothing in the crop."""
    cover = max(width / image.width, height / image.height)
    if cover * _COVER_SLACK >= 1:
        return image
    size = (math.ceil(image.width * cover * _COVER_SLACK), math.ceil(image.height * cover * _COVER_SLACK))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _clip_frame(path: Path) -> Image.Image | None:
    """The first frame at or after the middle of a clip, or None when it has none."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        middle = (container.duration or 0) / 2_000_000
        if stream.time_base and middle > 0:
            container.seek(int(middle / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is None or frame.time >= middle - 1e-3:
                return Image.fromarray(frame_rgb(frame), "RGB")
    return None


def frame_rgb(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    """A decoded frame in full-range RGB, converted with the file's own matrix and range (guessing BT.601
    would shift the colours)."""
    space = frame.colorspace if frame.colorspace in (1, 5, 6, 7, 9) else 1
    rgb = frame.reformat(
        format="rgb24",
        src_colorspace=space,
        dst_colorspace=space,
        src_color_range=frame.color_range or 1,
        dst_color_range=2,
    )
    return np.asarray(rgb.to_ndarray(), dtype=np.uint8)


def _saliency(image: Image.Image) -> npt.NDArray[np.float32]:
    small = image.convert("RGB")
    small.thumbnail((128, 128), Image.Resampling.BOX)
    return saliency_map(np.asarray(small, dtype=np.uint8))


def _gradient(width: int, height: int, top: RGB, bottom: RGB) -> Image.Image:
    """A vertical gradient of the style's colours: the background when no scene picture can be read."""
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = np.array(top, np.float32) * (1 - ramp) + np.array(bottom, np.float32) * ramp
    pixels = np.broadcast_to(column, (height, width, 3)).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB")


def _stroke(px: int) -> int:
    return max(2, round(px * _STROKE_EM))


def _shadow(px: int) -> int:
    return max(1, round(px * _SHADOW_EM))


def _accent_size(px: int) -> tuple[int, int, int]:
    """The accent bar's width, thickness, and the gap between it and the title."""
    return round(px * 1.6), max(3, round(px * _ACCENT_EM)), round(px * _ACCENT_GAP_EM)


def _balanced(pieces: list[Unit], count: int, font: ImageFont.FreeTypeFont) -> tuple[str, ...]:
    """The split of `pieces` into `count` lines whose widest line is narrowest (then the most even)."""
    best: tuple[float, float, tuple[str, ...]] | None = None
    for cuts in _cut_points(len(pieces), count):
        bounds = (0, *cuts, len(pieces))
        lines = tuple(join(pieces[a:b]) for a, b in zip(bounds, bounds[1:], strict=False))
        widths = [font.getlength(line) for line in lines]
        key = (max(widths), sum((max(widths) - w) ** 2 for w in widths), lines)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None
    return best[2]


def _cut_points(size: int, count: int) -> list[tuple[int, ...]]:
    """Every way to cut `size` pieces into `count` non-empty runs (count is at most 3)."""
    if count == 1:
        return [()]
    if count == 2:
        return [(a,) for a in range(1, size)]
    return [(a, b) for a in range(1, size - 1) for b in range(a + 1, size)]


def _extent(lines: Sequence[str], text: str, px: int) -> tuple[int, int, int]:
    """The lines' ink width and height at `px` (outline and shadow included), and the ink's top offset."""
    font = font_for(text, px)
    stroke, shadow, line_px = _stroke(px), _shadow(px), round(px * _LINE_EM)
    boxes = [font.getbbox(line, anchor="ls", stroke_width=stroke) for line in lines]
    width = max(box[2] - box[0] for box in boxes) + shadow
    top = min(box[1] + k * line_px for k, box in enumerate(boxes))
    bottom = max(box[3] + k * line_px for k, box in enumerate(boxes)) + shadow
    return math.ceil(width), math.ceil(bottom - top), math.floor(top)


def _largest(
    lines: Sequence[str], text: str, least: int, most: int, room_w: float, room_h: float
) -> int | None:
    """The largest type size from least to most at which `lines` fit room_w x room_h, or None."""

    def fits(px: int) -> bool:
        width, height, _ = _extent(lines, text, px)
        accent = _accent_size(px)
        return width <= room_w and height + accent[1] + accent[2] <= room_h

    if not fits(least):
        return None
    low, high = least, most
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _cut(text: str, px: int, room_w: float) -> tuple[str, ...]:
    """Greedy lines at `px`; past MAX_LINES lines, the last ends in "…" after a whole word."""
    font = font_for(text, px)
    usable = room_w - 2 * _stroke(px) - _shadow(px)
    lines = wrap_text(text, font, usable)
    if len(lines) <= MAX_LINES:
        return tuple(lines)
    pieces = units(lines[MAX_LINES - 1])
    while len(pieces) > 1 and font.getlength(join(pieces) + "\u2026") > usable:
        pieces.pop()
    last = join(pieces)
    # One word wider than the line (no space to break at): cut it between characters instead.
    while len(last) > 1 and font.getlength(last + "\u2026") > usable:
        last = last[:-1]
    return (*lines[: MAX_LINES - 1], last.rstrip(" ,;:-\u2013\u2014") + "\u2026")


def _top_is_calmer(
    saliency: npt.NDArray[np.float32] | None, inner: Box, block_h: int, width: int, height: int
) -> bool:
    """Whether the title covers clearly less of the subject at the top of the safe area than at its bottom."""
    if saliency is None or not saliency.size:
        return False
    rows = saliency.shape[0]

    def share(top: int) -> float:
        first = math.floor(top / height * rows)
        last = max(first + 1, math.ceil((top + block_h) / height * rows))
        columns = slice(
            math.floor(inner.left / width * saliency.shape[1]),
            math.ceil(inner.right / width * saliency.shape[1]),
        )
        return float(saliency[first:last, columns].mean())

    return share(inner.top) < 0.8 * share(inner.bottom - block_h)


def _draw(background: Image.Image, layout: TitleLayout, accent: RGB) -> Image.Image:
    """The background under a scrim dark enough for MIN_CONTRAST, with the title and accent bar on it."""
    width, height = background.size
    box = layout.box
    strength = _SCRIM_START
    scrimmed = _scrim(background, layout, strength)
    # The darkest the scrim gets still shows the picture; by then the backdrop is black enough in practice.
    while backdrop_contrast(scrimmed, box) < MIN_CONTRAST and strength < _SCRIM_MOST:
        strength = min(_SCRIM_MOST, strength + _SCRIM_STEP)
        scrimmed = _scrim(background, layout, strength)
    font = font_for("".join(layout.lines), layout.font_px)
    bar_w, bar_h, gap = _accent_size(layout.font_px)
    # The accent bar leads into the title from above, wherever the title is.
    text_top = box.top + bar_h + gap
    _, _, ink_top = _extent(layout.lines, "".join(layout.lines), layout.font_px)
    baseline = text_top - ink_top
    mask = Image.new("L", (width, height), 0)
    ink = ImageDraw.Draw(mask)
    positions = []
    for k, line in enumerate(layout.lines):
        left, _, right, _ = font.getbbox(line, anchor="ls", stroke_width=layout.stroke)
        line_w = right - left
        x = box.left - left + ((box.width - layout.shadow - line_w) // 2 if layout.centred else 0)
        y = baseline + k * layout.line_px
        positions.append((x, y, line))
        ink.text((x, y), line, font=font, fill=255, anchor="ls", stroke_width=layout.stroke)
    # A soft shadow down and to the right lifts the letters off a busy picture.
    shadow = mask.filter(ImageFilter.GaussianBlur(max(1, layout.shadow)))
    shadow = Image.eval(shadow, lambda value: int(value * 0.6))
    offset = Image.new("L", (width, height), 0)
    offset.paste(shadow, (layout.shadow, layout.shadow))
    result = scrimmed.copy()
    result.paste(Image.new("RGB", (width, height), (0, 0, 0)), mask=offset)
    draw = ImageDraw.Draw(result)
    for x, y, line in positions:
        draw.text(
            (x, y), line, font=font, fill=TEXT, anchor="ls", stroke_width=layout.stroke, stroke_fill=OUTLINE
        )
    bar_top = box.top
    bar_left = round(box.left + (box.width - layout.shadow - bar_w) / 2) if layout.centred else box.left
    draw.rectangle(
        (bar_left, bar_top, bar_left + bar_w - 1, bar_top + bar_h - 1), fill=accent, outline=OUTLINE
    )
    return result


def _scrim(background: Image.Image, layout: TitleLayout, strength: float) -> Image.Image:
    """Darken towards the title's edge of the frame: full `strength` over the title, fading away from it."""
    width, height = background.size
    ys = np.arange(height, dtype=np.float32) + 0.5
    pad, fade = height * _SCRIM_PAD, height * _SCRIM_FADE
    # Distance beyond the title's far edge (plus padding), in units of the fade.
    if layout.at_top:
        beyond = (ys - (layout.box.bottom + pad)) / fade
    else:
        beyond = ((layout.box.top - pad) - ys) / fade
    t = np.clip(beyond, 0.0, 1.0)
    alpha = strength * (1.0 - t * t * (3.0 - 2.0 * t))
    pixels = np.asarray(background.convert("RGB"), dtype=np.float32)
    darkened = pixels * (1.0 - alpha)[:, None, None]
    return Image.fromarray(darkened.round().astype(np.uint8), "RGB")


def _luminance(rgb: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """WCAG relative luminance of every pixel of an sRGB array (0-255)."""
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(linear @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32), dtype=np.float32)


def _save_jpeg(image: Image.Image, out_path: Path) -> None:
    """Write a baseline JPEG under MAX_BYTES, lowering the quality only when a busy picture needs it."""
    data = b""
    for quality in _JPEG_QUALITIES:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        data = buffer.getvalue()
        if len(data) < MAX_BYTES:
            break
    else:
        raise BadInput(
            f"the thumbnail stays {len(data)} bytes at JPEG quality 50; YouTube takes under {MAX_BYTES}"
        )
    with atomic_path(out_path) as tmp:
        tmp.write_bytes(data)
