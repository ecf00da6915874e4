"""Product pictures: fetched within limits, shown whole at the frame's exact size, and refused when bad;
the heading and the video's header are in a still text layer inside the safe areas."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from skimage import data

from tests.servers.harness import ProtocolServer, Request, Response, refused_url
from tools.errors import BadInput, InvalidField, ServiceUnavailable, is_transient
from tools.images.palettes import contrast_ratio, palette_for
from tools.images.product_picture import (
    MAX_REDIRECTS,
    fetch_product_image,
    heading_box,
    place_product_picture,
    product_box,
)
from tools.images.safe_areas import Box, safe_areas
from tools.images.text_layers import Layers

RED = (255, 0, 0)
SIZES = [(1080, 1920), (1920, 1080), (1080, 1080), (270, 480), (480, 270), (320, 320)]


@cache
def photo(name: str) -> np.ndarray:
    """One of scikit-image's photographs as RGB."""
    picture = np.asarray(getattr(data, name)(), dtype=np.uint8)
    return np.stack([picture] * 3, axis=2) if picture.ndim == 2 else picture[..., :3]


def encode(pixels: np.ndarray, kind: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, kind, **options)
    return out.getvalue()


def bordered(name: str, border: int = 10) -> np.ndarray:
    """A photograph with a pure red frame: if any edge of the product were cut, part of the frame would go."""
    picture = photo(name).copy()
    picture[:border] = RED
    picture[-border:] = RED
    picture[:, :border] = RED
    picture[:, -border:] = RED
    return picture


def load(path: Path) -> np.ndarray:
    """A written picture's RGB pixels as ints."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def place(image: bytes, width: int, height: int, path: Path, **options: object) -> Path:
    """Place a product picture with its text layer beside it (text-<name>); returns the background's path."""
    overlay = path.with_name(f"text-{path.name}")
    layers = place_product_picture(image, width, height, path, overlay_path=overlay, **options)  # type: ignore[arg-type]
    assert layers == Layers(path, overlay)
    return path


def text_layer(path: Path) -> np.ndarray:
    """The RGBA pixels of the text layer placed beside a background by `place`."""
    with Image.open(path.with_name(f"text-{path.name}")) as image:
        assert image.mode == "RGBA"
        return np.asarray(image).astype(int)


def red_box(path: Path) -> tuple[int, int, int, int]:
    """The bounding box (left, top, right, bottom) of pure red pixels in a picture."""
    pixels = load(path)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
    rows, columns = np.nonzero(red)
    return int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("name", ["coffee", "rocket", "astronaut"])
def test_the_whole_product_shows_at_the_exact_size(
    tmp_path: Path, name: str, width: int, height: int
) -> None:
    out = place(encode(bordered(name)), width, height, tmp_path / "scene.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (width, height)
        assert image.mode == "RGB"
    # The red frame is there on all four sides, so nothing of the product was cropped away...
    left, top, right, bottom = red_box(out)
    source_h, source_w = photo(name).shape[:2]
    assert (right - left) / (bottom - top) == pytest.approx(source_w / source_h, rel=0.03)
    pixels = load(out)
    for row, column in [
        ((top + bottom) // 2, left),
        ((top + bottom) // 2, right - 1),
        (top, (left + right) // 2),
        (bottom - 1, (left + right) // 2),
    ]:
        assert pixels[row, column][0] > 200 and pixels[row, column][1] < 60
    # ...and it sits clear of the heading band and the captions, filling the room it has on one axis.
    box = product_box(width, height)
    assert box[0] <= left and box[1] <= top and right <= box[2] and bottom <= box[3]
    assert right - left >= (box[2] - box[0]) - 2 or bottom - top >= (box[3] - box[1]) - 2


def test_a_photo_gets_a_dark_blurred_backdrop_of_itself(tmp_path: Path) -> None:
    out = place(encode(photo("chelsea")), 1080, 1920, tmp_path / "cat.png")
    pixels = load(out)
    box = product_box(1080, 1920)
    above = pixels[: box[1] - 40]
    assert above.mean() < photo("chelsea").mean() * 0.6
    # Blurred: neighbouring pixels of the backdrop barely differ.
    assert np.abs(np.diff(above, axis=1)).mean() < 1.5
    # Of the picture's own colours, not a flat fill.
    assert above.std(axis=(0, 1)).max() > 2


def test_a_shot_on_white_gets_the_style_palette(tmp_path: Path) -> None:
    shot = np.full((600, 500, 3), 255, np.uint8)
    shot[150:450, 150:350] = (30, 120, 200)
    out = place(encode(shot), 1920, 1080, tmp_path / "white.png", style="calm", index=2)
    palette = palette_for("calm", 2, "")
    pixels = load(out)
    assert tuple(pixels[0, 0]) == pytest.approx(palette.top, abs=2)
    assert tuple(pixels[-1, -1]) == pytest.approx(palette.bottom, abs=2)
    # The product's own colour, whole, in the middle, as large as the product box lets it be (the box is
    # the content box under the heading's band, clear of the captions).
    blue = (np.abs(pixels - (30, 120, 200)).sum(axis=2) < 12).sum()
    left, top, right, bottom = product_box(1920, 1080)
    scale = min((right - left) / 500, (bottom - top) / 600)
    assert blue > 0.95 * 300 * 200 * scale**2


def test_a_cut_out_product_keeps_its_transparency_over_the_palette(tmp_path: Path) -> None:
    cutout = np.zeros((400, 400, 4), np.uint8)
    cutout[100:300, 50:350] = (*RED, 255)
    out = place(encode(cutout), 1080, 1080, tmp_path / "cutout.png", style="bold")
    left, top, right, bottom = red_box(out)
    assert (right - left) / (bottom - top) == pytest.approx(300 / 200, rel=0.03)
    pixels = load(out)
    # Where the cut-out is transparent, the palette shows, not black or white.
    corner = pixels[product_box(1080, 1080)[1] + 5, product_box(1080, 1080)[0] + 5]
    assert 10 < corner.mean() < 245


def test_an_animated_picture_shows_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (200, 120), RED), Image.new("RGB", (200, 120), (0, 255, 0))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = place(gif.getvalue(), 480, 270, tmp_path / "gif.png")
    pixels = load(out)
    green = (pixels[..., 1] > 200) & (pixels[..., 0] < 60)
    assert red_box(out) and not green.any()


def test_a_camera_rotation_is_applied(tmp_path: Path) -> None:
    wide = Image.fromarray(bordered("coffee"))
    exif = wide.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    jpeg = io.BytesIO()
    wide.save(jpeg, "JPEG", quality=95, exif=exif.tobytes())
    out = place(jpeg.getvalue(), 1080, 1080, tmp_path / "rotated.png")
    left, top, right, bottom = red_box(out)
    assert bottom - top > right - left


def test_a_thumbnail_is_not_blown_up_to_mush(tmp_path: Path) -> None:
    tiny = np.full((40, 60, 3), RED, np.uint8)
    out = place(encode(tiny), 1080, 1920, tmp_path / "tiny.png")
    left, top, right, bottom = red_box(out)
    assert (right - left, bottom - top) == (240, 160)


def test_the_heading_is_in_the_text_layer_only(tmp_path: Path) -> None:
    picture = encode(photo("rocket"))
    plain = place(picture, 1080, 1920, tmp_path / "a.png")
    titled = place(picture, 1080, 1920, tmp_path / "b.png", heading="#3 Acme Kettle")
    # The background is the same with or without the heading, and the heading is in its band of the layer.
    assert np.array_equal(load(plain), load(titled))
    assert not text_layer(plain)[..., 3].any()
    drawn = text_layer(titled)[..., 3] > 0
    band = heading_box(1080, 1920)
    assert drawn[band.top : band.bottom, band.left : band.right].sum() > 1000
    assert drawn.sum() == drawn[band.top : band.bottom, band.left : band.right].sum()
    assert band.bottom <= product_box(1080, 1920)[1]


def _outside(mask: np.ndarray, *boxes: Box) -> np.ndarray:
    rest = mask.copy()
    for box in boxes:
        rest[box.top : box.bottom, box.left : box.right] = False
    return rest


@pytest.mark.parametrize(
    ("width", "height"), [(216, 384), (384, 216), (256, 256), (1080, 1920), (1920, 1080)]
)
@pytest.mark.parametrize("name", ["coffee", "white"])
def test_the_product_and_its_words_stay_in_the_safe_areas(
    tmp_path: Path, name: str, width: int, height: int
) -> None:
    image = encode(bordered("coffee")) if name == "coffee" else encode(np.full((300, 200, 3), 255, np.uint8))
    heading = "#2 The Acme Kettle that boils water faster than any other kettle in the shop"
    out = place(image, width, height, tmp_path / "p.png", heading=heading, title="Kettles", index=2, count=5)
    areas = safe_areas(width, height)
    drawn = text_layer(out)[..., 3] > 0
    assert not _outside(drawn, areas.inner).any()
    assert not drawn[
        areas.captions.top : areas.captions.bottom, areas.captions.left : areas.captions.right
    ].any()
    # The header in its box, the heading in its band at the top of the content box, nothing else.
    assert not _outside(drawn, areas.header, heading_box(width, height)).any()
    assert drawn[areas.header.top : areas.header.bottom].any()
    assert areas.content.contains(Box(*product_box(width, height)))
    if name == "coffee":
        left, top, right, bottom = red_box(out)
        assert areas.content.contains(Box(left, top, right, bottom))


def test_the_header_over_a_photo_reads_on_its_scrim(tmp_path: Path) -> None:
    out = place(encode(photo("coffee")), 1080, 1920, tmp_path / "p.png", title="Kettles", index=2, count=5)
    layer = text_layer(out)
    header = safe_areas(1080, 1920).header
    box = layer[header.top : header.bottom, header.left : header.right]
    # Over a white frame (the worst case for white letters): the scrim and the letters.
    alpha = box[..., 3:] / 255
    over_white = np.rint(255 * (1 - alpha) + box[..., :3] * alpha)
    # The scrim is the layer's commonest opacity in the header box; the letters are opaque.
    levels, counts = np.unique(box[..., 3], return_counts=True)
    scrim = over_white[box[..., 3] == levels[np.argmax(counts)]]
    letters = over_white[box[..., 3] == 255]
    assert 0.4 * box[..., 3].size < len(scrim) and letters.size
    lightest_scrim = tuple(int(v) for v in scrim.max(axis=0))
    letter = tuple(int(v) for v in np.median(letters, axis=0))
    assert contrast_ratio(letter, lightest_scrim) >= 4.5  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"definitely not a picture",
        b"<html><body>Not found</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        encode(photo("coffee"), "JPEG")[:2000],
        png_claiming(8000, 6000),
        png_claiming(20000, 20000),
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
    ],
    ids=["empty", "text", "html", "svg", "truncated-jpeg", "48-megapixels", "bomb", "eps"],
)
def test_bad_pictures_are_refused_in_one_line(tmp_path: Path, bad: bytes) -> None:
    with pytest.raises(BadInput) as caught:
        place(bad, 1080, 1920, tmp_path / "bad.png")
    message = str(caught.value)
    assert "\n" not in message
    assert "picture" in message
    assert "not an image" in message or "empty" in message or "MP limit" in message
    assert not list(tmp_path.iterdir())


def test_bad_sizes_and_styles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="too small"):
        place(encode(photo("coffee")), 16, 16, tmp_path / "x.png")
    with pytest.raises(BadInput, match="style"):
        place(encode(photo("coffee")), 320, 320, tmp_path / "x.png", style="neon")


class ImageHost(ProtocolServer):
    """A web shop's image host: pictures, redirects to them, and the ways a picture link goes wrong."""

    def register(self) -> None:
        self.route("GET", "/img/", self._image)
        self.route("GET", "/hop/", self._hop)
        self.route("GET", "/loop", lambda request, fault: self._redirect("/loop"))
        self.route("GET", "/to-ftp", lambda request, fault: self._redirect("ftp://files.example/a.jpg"))
        self.route("GET", "/page", lambda request, fault: Response(b"<html>shop</html>", "text/html"))
        self.route("GET", "/untyped", lambda request, fault: Response(b"\xff\xd8", ""))
        self.route("GET", "/big", lambda request, fault: Response(b"\0" * 5000, "image/jpeg"))
        self.route("GET", "/streamed", self._streamed)

    def start(self) -> ImageHost:
        """Serve; a client that hangs up before the body on purpose (too big, not an image) is no error."""
        super().start()
        assert self._server is not None
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        return self

    def _image(self, request: Request, fault: str | None) -> Response:
        return Response(encode(photo("coffee"), "JPEG"), "image/jpeg; charset=binary")

    def _hop(self, request: Request, fault: str | None) -> Response:
        left = int(request.path.rsplit("/", 1)[-1])
        return self._redirect(f"/hop/{left - 1}" if left > 1 else "/img/coffee.jpg")

    def _redirect(self, location: str) -> Response:
        return Response(b"", "text/plain", status=302, headers={"Location": location})

    def _streamed(self, request: Request, fault: str | None) -> Response:
        return Response(b"", "image/png", chunks=[b"\0" * 5000])


@pytest.fixture
def host() -> Iterator[ImageHost]:
    with ImageHost() as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0, follow_redirects=False) as client:
        yield client


def test_fetches_a_picture_over_http(host: ImageHost, http: httpx.Client) -> None:
    body = fetch_product_image(f"{host.url}/img/coffee.jpg", http=http)
    assert body == encode(photo("coffee"), "JPEG")


def test_each_redirect_hop_is_checked_before_it_is_asked(host: ImageHost, http: httpx.Client) -> None:
    seen: list[str] = []
    body = fetch_product_image(f"{host.url}/hop/3", http=http, check_url=seen.append)
    assert body[:2] == b"\xff\xd8"
    assert seen == [
        f"{host.url}/hop/3",
        f"{host.url}/hop/2",
        f"{host.url}/hop/1",
        f"{host.url}/img/coffee.jpg",
    ]

    def refuse_images(url: str) -> None:
        if "/img/" in url:
            raise InvalidField("image", f"the URL {url!r} points at a private address; give a public address")

    host.requests.clear()
    with pytest.raises(InvalidField):
        fetch_product_image(f"{host.url}/hop/1", http=http, check_url=refuse_images)
    assert [request.path for request in host.requests] == ["/hop/1"]


@pytest.mark.parametrize(
    ("path", "max_bytes", "message"),
    [
        ("/loop", 15_000_000, f"redirects more than {MAX_REDIRECTS} times"),
        ("/to-ftp", 15_000_000, "redirects away from http(s)"),
        ("/page", 15_000_000, "is not an image (text/html)"),
        ("/untyped", 15_000_000, "is not an image"),
        ("/big", 4000, "larger than 0.004 MB"),
        ("/streamed", 4000, "larger than 0.004 MB"),
        ("/missing", 15_000_000, "answered HTTP 404"),
        ("http://", 15_000_000, "has no host"),
    ],
)
def test_bad_links_are_refused(
    host: ImageHost, http: httpx.Client, path: str, max_bytes: int, message: str
) -> None:
    with pytest.raises(BadInput) as caught:
        url = path if "://" in path else f"{host.url}{path}"
        fetch_product_image(url, http=http, max_bytes=max_bytes)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not is_transient(caught.value)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_failing_host_is_worth_retrying(host: ImageHost, http: httpx.Client, fault: str) -> None:
    host.fail(fault)
    with pytest.raises(ServiceUnavailable) as caught:
        fetch_product_image(f"{host.url}/img/coffee.jpg", http=http)
    assert f"HTTP {fault}" in str(caught.value)
    assert is_transient(caught.value)
    assert fetch_product_image(f"{host.url}/img/coffee.jpg", http=http)[:2] == b"\xff\xd8"


def test_an_unreachable_or_silent_host_is_worth_retrying(host: ImageHost) -> None:
    with httpx.Client(timeout=0.3) as http:
        with pytest.raises(ServiceUnavailable) as refused:
            fetch_product_image(f"{refused_url()}/img/a.jpg", http=http)
        host.fail("hang")
        with pytest.raises(ServiceUnavailable, match="did not arrive in time") as silent:
            fetch_product_image(f"{host.url}/img/coffee.jpg", http=http)
    assert is_transient(refused.value) and is_transient(silent.value)


def test_messages_never_carry_a_signed_urls_key_or_password(host: ImageHost, http: httpx.Client) -> None:
    secret = "sk-live-0123456789abcdef"
    address = host.url.replace("http://", f"http://shopper:{secret}@")
    with pytest.raises(BadInput) as caught:
        fetch_product_image(f"{address}/page?signature={secret}&key={secret}", http=http)
    assert secret not in str(caught.value)
    assert "shopper" not in str(caught.value)
    assert f"{host.url}/page" in str(caught.value)


def test_reads_a_picture_from_disk(tmp_path: Path, http: httpx.Client) -> None:
    picture = tmp_path / "kettle.png"
    picture.write_bytes(encode(photo("coffee")))
    assert fetch_product_image(str(picture), http=http) == picture.read_bytes()
    assert fetch_product_image(picture.as_uri(), http=http) == picture.read_bytes()
    with pytest.raises(BadInput, match="does not exist"):
        fetch_product_image(str(tmp_path / "gone.png"), http=http)
    with pytest.raises(BadInput, match="not a file"):
        fetch_product_image(str(tmp_path), http=http)
    with pytest.raises(BadInput, match="larger than 0.001 MB"):
        fetch_product_image(str(picture), http=http, max_bytes=1000)
    with pytest.raises(BadInput, match="not an http"):
        fetch_product_image(str(picture), http=http, allow_files=False)
    with pytest.raises(BadInput, match="no picture"):
        fetch_product_image("  ", http=http)


def test_a_fetched_picture_becomes_a_scene(host: ImageHost, http: httpx.Client, tmp_path: Path) -> None:
    body = fetch_product_image(f"{host.url}/img/coffee.jpg", http=http)
    out = place(body, 1080, 1920, tmp_path / "scene-01.png", heading="#1 Espresso Cup")
    assert load(out).shape == (1920, 1080, 3)
