"""A product's own picture as a scene: fetched with limits, decoded safely, shown whole over a backdrop."""

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
from tools.images.cards import CAPTION_ZONE, SIDE_MARGIN
from tools.images.fonts import drawable_text, font_for, wrap_text
from tools.images.palettes import RGB, Palette, palette_for
from tools.secrets import redact

__all__ = [
    "FORMATS",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "MAX_REDIRECTS",
    "fetch_product_image",
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
# The heading's band at the top: cards put their title, counter and bar in about this much of the frame.
HEADING_ZONE = 0.12
HEADING_MIN_SHORT = 0.16
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


def product_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) region a product is fitted into: clear of the heading band at the top,
    the caption zone at the bottom (the one cards keep plain) and the side margins."""
    short = min(width, height)
    top = round(max(height * HEADING_ZONE, short * HEADING_MIN_SHORT))
    bottom = round(height * (1 - CAPTION_ZONE))
    side = round(width * SIDE_MARGIN)
    return side, top, width - side, max(top + 1, bottom)


def place_product_picture(
    image: bytes,
    width: int,
    height: int,
    out_path: Path,
    *,
    style: str = "bold",
    heading: str = "",
    index: int = 1,
) -> Path:
    """Write a PNG of exactly width x height showing the whole product (never cropped) in `product_box`,
    over a blurred, darkened fill of the same picture, or, for a shot on a plain or transparent backdrop,
    the style's palette. `heading` ("#3 Acme Kettle") is drawn in the top band when given; `index` picks
    the palette as a card of that scene would."""
    if width < MIN_SIDE or height < MIN_SIDE:
        raise BadInput(
            f"picture size {width}x{height} is too small; use at least {MIN_SIDE}x{MIN_SIDE} pixels"
        )
    palette = palette_for(style, index, heading)
    left, top, right, bottom = product_box(width, height)
    picture = _decode(image, (right - left, bottom - top))
    plain = _plain_edges(picture)
    frame = _gradient(width, height, palette) if plain else _blurred_cover(picture, width, height)

    scale = min((right - left) / picture.width, (bottom - top) / picture.height, MAX_UPSCALE)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    placed = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    x = left + (right - left - size[0]) // 2
    y = top + (bottom - top - size[1]) // 2
    mask = placed.getchannel("A") if placed.mode == "RGBA" else Image.new("L", size, 255)
    _shadow(frame, mask, (x, y))
    frame.paste(placed.convert("RGB"), (x, y), mask)
    if heading:
        _draw_heading(frame, heading, top, palette.text if plain else (255, 255, 255))

    with atomic_path(out_path) as tmp:
        # Level 1: photographs compress little better at higher levels, and take several times longer.
        frame.save(tmp, format="PNG", compress_level=1)
    return out_path


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


def _gradient(width: int, height: int, palette: Palette) -> Image.Image:
    """The style's vertical gradient, as its cards have."""
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    top = np.array(palette.top, dtype=np.float32)
    bottom = np.array(palette.bottom, dtype=np.float32)
    column = (top[None, :] * (1 - ramp) + bottom[None, :] * ramp).round().astype(np.uint8)
    return Image.fromarray(
        np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3))), "RGB"
    )


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


def _draw_heading(frame: Image.Image, heading: str, band: int, colour: RGB) -> None:
    """The heading in the top band: as large as fits two lines, outlined so it reads on any backdrop."""
    text = drawable_text(heading)
    if not text:
        return
    width, height = frame.size
    short = min(width, height)
    margin = round(width * SIDE_MARGIN)
    room_w, room_h = width - 2 * margin, band - round(short * 0.04)
    size = max(10, round(short * 0.07))
    smallest = max(8, round(short * 0.035))
    while True:
        font = font_for(text, size)
        lines = wrap_text(text, font, room_w)
        line_height = round(size * 1.18)
        if (len(lines) <= 2 and len(lines) * line_height <= room_h) or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    lines = lines[:2]
    draw = ImageDraw.Draw(frame)
    stroke = max(1, size // 16)
    outline = (0, 0, 0) if sum(colour) > 384 else (255, 255, 255)
    y = max(0, (band - len(lines) * line_height) // 2)
    for line in lines:
        x = (width - font.getlength(line)) / 2
        draw.text((x, y), line, font=font, fill=colour, stroke_width=stroke, stroke_fill=outline)
        y += line_height
