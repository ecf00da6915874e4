"""A product's own picture as a scene: fetched with limits, decoded safely, shown whole over a backdrop.

Like a card, the scene is two files: the background (the product, whole, in the content box over a
backdrop) that the renderer pans and zooms, and a still text layer with the video's header and the
product's heading at the top of the content box.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import httpx
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from tools.errors import BadInput, ServiceUnavailable
from tools.files import atomic_path
from tools.images.backdrops import gradient
from tools.images.card_parts import ellipsize
from tools.images.fonts import drawable_text, font_for, wrap_text
from tools.images.header_layer import PHOTO_HEADER, card_header, draw_header
from tools.images.palettes import RGB, palette_for
from tools.images.safe_areas import Box, safe_areas
from tools.images.text_layers import Layers, new_layer, save_layer
from tools.secrets import redact

__all__ = [
    "FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "MAX_REDIRECTS",
    "fetch_product_image",
    "heading_box",
    "place_product_picture",
    "product_box",
]

MAX_IMAGE_BYTES = 15_000_000
# A 40 MP picture is already larger than any camera's product shot; beyond it decoding costs gigabytes.
MAX_PIXELS = 40_000_000
MAX_REDIRECTS = 5
MIN_SIDE = 32
# A small shop thumbnail blown up further than this turns to mush; it stays smaller in the frame instead.
MAX_UPSCALE = 4.0
# The heading's type, as a share of the frame's short side; its band at the top of the content box holds
# two lines, or one on a wide frame, where height is short and a line is long.
HEADING_SIZE = 0.06
_HEADING_LINE = 1.18
# Edges this uniform (a standard deviation in 0-255 levels) mean a product shot on a plain backdrop.
PLAIN_EDGE_STD = 10.0
# The blurred backdrop keeps this share of its brightness, so the sharp product stands out in front of it.
BACKDROP_BRIGHTNESS = 0.45
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Raster formats shops publish. Others are never tried: Pillow's EPS reader, for one, runs Ghostscript.
FORMATS = ("JPEG", "PNG", "WEBP", "AVIF", "GIF", "BMP", "TIFF")
_DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)

CheckUrl = Callable[[str], None]


def _heading_lines(width: int, height: int) -> int:
    return 1 if safe_areas(width, height).shape == "wide" else 2


def heading_box(width: int, height: int) -> Box:
    """Where a product's heading goes: a band at the top of the safe areas' content box."""
    content = safe_areas(width, height).content
    line = min(width, height) * HEADING_SIZE * _HEADING_LINE
    band = max(10, round(line * _heading_lines(width, height) + line * 0.15))
    return Box(content.left, content.top, content.right, min(content.bottom, content.top + band))


def product_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) region a product is fitted into: the safe areas' content box below
    the heading band (kept whether or not there is a heading, so every product scene lines up)."""
    content = safe_areas(width, height).content
    short = min(width, height)
    top = heading_box(width, height).bottom + max(2, round(short * 0.02))
    return content.left, top, content.right, max(top + 1, content.bottom)


def place_product_picture(
    image: bytes,
    width: int,
    height: int,
    out_path: Path,
    *,
    overlay_path: Path,
    style: str = "bold",
    heading: str = "",
    index: int = 1,
    title: str = "",
    count: int = 0,
) -> Layers:
    """Write the scene's two PNGs of exactly width x height.

    The background at `out_path` shows the whole product (never cropped) in `product_box`, over a blurred,
    darkened fill of the same picture, or, for a shot on a plain or transparent backdrop, the style's
    palette. The text layer at `overlay_path` has the header (the video's `title`, "index / count" and the
    progress bar; left out when `count` is 0) and `heading` ("#3 Acme Kettle") in `heading_box`. `index`
    picks the palette as a card of that scene would.
    """
    if width < MIN_SIDE or height < MIN_SIDE:
        raise BadInput(
            f"picture size {width}x{height} is too small; use at least {MIN_SIDE}x{MIN_SIDE} pixels"
        )
    if count and not 1 <= index <= count:
        raise BadInput(f"scene {index} of {count} is out of range; number scenes from 1 to the scene count")
    palette = palette_for(style, index, heading)
    left, top, right, bottom = product_box(width, height)
    picture = _decode(image, (right - left, bottom - top))
    plain = _plain_edges(picture)
    frame = gradient(width, height, palette) if plain else _blurred_cover(picture, width, height)

    scale = min((right - left) / picture.width, (bottom - top) / picture.height, MAX_UPSCALE)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    placed = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    x = left + (right - left - size[0]) // 2
    y = top + (bottom - top - size[1]) // 2
    mask = placed.getchannel("A") if placed.mode == "RGBA" else Image.new("L", size, 255)
    _shadow(frame, mask, (x, y))
    frame.paste(placed.convert("RGB"), (x, y), mask)

    text = new_layer(width, height)
    if count:
        draw_header(text, title, index, count, card_header(palette) if plain else PHOTO_HEADER)
    if heading:
        _draw_heading(text, heading, palette.text if plain else (255, 255, 255))

    with atomic_path(out_path) as tmp:
        # Level 1: photographs compress little better at higher levels, and take several times longer.
        frame.save(tmp, format="PNG", compress_level=1)
    return Layers(out_path, save_layer(text, overlay_path))


def fetch_product_image(
    ref: str,
    *,
    http: httpx.Client,
    max_bytes: int = MAX_IMAGE_BYTES,
    check_url: CheckUrl | None = None,
    allow_files: bool = True,
) -> bytes:
    """The bytes of a product's picture: an http(s) URL fetched with `http` (image/* only, at most
    `max_bytes`, redirects followed by hand so `check_url` sees every hop), or a file read from disk.

    `allow_files=False` refuses paths, for catalogues that came from someone else's machine.
    BadInput for a picture that cannot be used; ServiceUnavailable (retried) when its server fails.
    """
    ref = ref.strip()
    if not ref:
        raise BadInput("the product has no picture; give an image URL or the path of an image file")
    scheme = urlsplit(ref).scheme.lower()
    if scheme in ("http", "https"):
        return _download(ref, http, max_bytes, check_url)
    if not allow_files:
        raise BadInput(f"the picture {_shown(ref)!r} is not an http(s) URL; link the picture on the web")
    if scheme == "file":
        ref = unquote(urlsplit(ref).path)
    return _read_file(Path(ref), max_bytes)


def _download(url: str, http: httpx.Client, max_bytes: int, check_url: CheckUrl | None) -> bytes:
    """GET `url`, following at most MAX_REDIRECTS redirects, each hop checked before it is asked."""
    for _ in range(MAX_REDIRECTS + 1):
        where = _shown(url)
        if not urlsplit(url).hostname:
            raise BadInput(f"the picture URL {where!r} has no host; give a full http(s) address")
        if check_url is not None:
            check_url(url)
        try:
            with http.stream("GET", url, follow_redirects=False) as response:
                location = response.headers.get("Location", "")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location.strip())
                    if urlsplit(url).scheme.lower() not in ("http", "https"):
                        raise BadInput(
                            f"the picture at {where} redirects away from http(s); link the file itself"
                        )
                    continue
                _check_status(response.status_code, where)
                _check_type(response.headers.get("Content-Type", ""), where)
                return _read_capped(response, max_bytes, where)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise BadInput(f"the picture URL {where!r} is not a valid http(s) address; check it") from None
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"the picture at {where} did not arrive in time; try again later"
            ) from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"the picture at {where} could not be fetched ({type(exc).__name__}); "
                "check the image URL or try again later"
            ) from None
    raise BadInput(
        f"the picture at {_shown(url)} redirects more than {MAX_REDIRECTS} times; link the picture itself"
    )


def _check_status(status: int, where: str) -> None:
    if status == 429 or status >= 500:
        raise ServiceUnavailable(f"the picture at {where} answered HTTP {status}; try again later")
    if not 200 <= status < 300:
        raise BadInput(f"the picture at {where} answered HTTP {status}; check the product's image URL")


def _check_type(content_type: str, where: str) -> None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if not kind.startswith("image/"):
        got = redact(kind[:60]) or "no content type"
        raise BadInput(f"the picture at {where} is not an image ({got}); link the image file itself")


def _read_capped(response: httpx.Response, max_bytes: int, where: str) -> bytes:
    """The body, stopped as soon as it is known to be larger than `max_bytes`."""
    too_big = BadInput(
        f"the picture at {where} is larger than {_megabytes(max_bytes)}; link a smaller picture"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise BadInput(f"the picture {path} is not a file; give the path of an image file")
        if size > max_bytes:
            raise BadInput(
                f"the picture {path} is larger than {_megabytes(max_bytes)}; use a smaller picture"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"the picture {path} does not exist; check the product's image path") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadInput(
            f"the picture {path} cannot be read ({reason}); check its path and permissions"
        ) from None


def _shown(url: str) -> str:
    """A URL as messages name it: no user, password, query or fragment (signed URLs carry keys there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", "")) if parts.scheme else url.split("?", 1)[0]
    return redact(shown[:200])


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:g} MB"


def _decode(data: bytes, fit: tuple[int, int]) -> Image.Image:
    """The picture's first frame, upright, as RGB or RGBA; BadInput for anything that is not an image."""
    if not data:
        raise BadInput("the picture is empty; use a JPEG, PNG, WebP or GIF file")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            columns, rows = opened.size
            if columns * rows > MAX_PIXELS:
                raise BadInput(
                    f"the picture is {columns}x{rows} pixels, over the {MAX_PIXELS // 1_000_000} MP limit; "
                    "use a smaller picture"
                )
            # An animated GIF, WebP or PNG shows its first frame: a still scene has no time for the rest.
            opened.seek(0)
            # A JPEG far larger than the frame decodes at 1/2, 1/4 or 1/8 scale, still larger than the box
            # either way round (the camera's rotation is applied after decoding).
            side = max(fit)
            opened.draft("RGB", (side, side))
            opened.load()
            upright = ImageOps.exif_transpose(opened) or opened
            transparent = "A" in upright.mode or "transparency" in upright.info
            return upright.convert("RGBA" if transparent else "RGB")
    except BadInput:
        raise
    except _DECODE_ERRORS as exc:
        raise BadInput(
            f"the picture is not an image that can be read ({type(exc).__name__}); "
            "use a JPEG, PNG, WebP or GIF file"
        ) from None


def _plain_edges(picture: Image.Image) -> bool:
    """Whether the picture is a product on a plain or transparent backdrop (its border is all one colour)."""
    small = picture.copy()
    small.thumbnail((96, 96), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.float32)
    rows, columns = pixels.shape[:2]
    band = max(1, round(min(rows, columns) * 0.04))
    border = np.concatenate(
        [
            pixels[:band].reshape(-1, pixels.shape[2]),
            pixels[-band:].reshape(-1, pixels.shape[2]),
            pixels[:, :band].reshape(-1, pixels.shape[2]),
            pixels[:, -band:].reshape(-1, pixels.shape[2]),
        ]
    )
    if pixels.shape[2] == 4 and float(border[:, 3].min()) < 250:
        return True
    return float(border[:, :3].std(axis=0).mean()) < PLAIN_EDGE_STD


def _blurred_cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    """The picture scaled to cover the frame, blurred past recognition and darkened."""
    # Blurring a tiny copy and enlarging it is as smooth as blurring the whole frame, and far cheaper.
    small_w, small_h = max(4, width // 24), max(4, height // 24)
    rgb = picture.convert("RGB")
    cover = ImageOps.fit(rgb, (small_w, small_h), Image.Resampling.BOX)
    cover = cover.filter(ImageFilter.GaussianBlur(max(1.0, min(small_w, small_h) / 10)))
    large = cover.resize((width, height), Image.Resampling.BICUBIC)
    return Image.eval(large, lambda level: round(level * BACKDROP_BRIGHTNESS))


def _shadow(frame: Image.Image, mask: Image.Image, at: tuple[int, int]) -> None:
    """A soft shadow under the product, so a white product shot does not float flat on its backdrop."""
    short = min(frame.size)
    offset = max(1, short // 120)
    shade = Image.new("L", frame.size, 0)
    shade.paste(mask, (at[0] + offset, at[1] + offset))
    shade = shade.filter(ImageFilter.GaussianBlur(max(1, short // 60)))
    shade = Image.eval(shade, lambda level: level * 45 // 100)
    frame.paste(Image.new("RGB", frame.size, (0, 0, 0)), (0, 0), shade)


def _draw_heading(layer: Image.Image, heading: str, colour: RGB) -> None:
    """The heading in its band: as large as fits its lines, outlined so it reads on any backdrop."""
    text = drawable_text(heading)
    if not text:
        return
    band = heading_box(*layer.size)
    most = _heading_lines(*layer.size)
    short = min(layer.size)
    size = max(8, round(short * HEADING_SIZE))
    stroke = max(1, size // 16)
    room_w, room_h = band.width - 2 * stroke, band.height
    smallest = max(8, round(short * 0.03))
    while True:
        font = font_for(text, size)
        lines = wrap_text(text, font, room_w)
        line_height = round(size * _HEADING_LINE)
        if (len(lines) <= most and len(lines) * line_height <= room_h) or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    keep = max(1, min(most, room_h // line_height))
    if len(lines) > keep:
        lines = lines[:keep]
        lines[-1] += "\u2026"
    lines = [ellipsize(line, font, room_w) for line in lines]
    draw = ImageDraw.Draw(layer)
    outline = (0, 0, 0) if sum(colour) > 384 else (255, 255, 255)
    y = band.top + max(0, (band.height - len(lines) * line_height) // 2)
    for line in lines:
        x = band.centre_x - font.getlength(line) / 2
        draw.text((x, y), line, font=font, fill=colour, stroke_width=stroke, stroke_fill=outline)
        y += line_height
