"""Tests for the designed thumbnail: exact sizes, the title large and inside the safe area, legible over any
picture, photographs before cards, clips read with PyAV, and a JPEG YouTube takes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from state import Artifact
from tools.errors import BadInput
from tools.images.fonts import CJK_FONT, font_for
from tools.images.palettes import palette_for
from tools.images.safe_areas import safe_areas
from tools.images.thumbnail import (
    MAX_BYTES,
    MAX_LINES,
    THUMBNAIL_SIZES,
    design_thumbnail,
    layout_title,
    picture_strength,
    thumbnail_size,
)
from tools.text.line_breaks import join_lines

TITLE = "The history of coffee"
LONG_TITLE = "How the Saturn V rocket reached the Moon in 1969, and why nothing has flown like it since then"
# Pixels at least this bright in every channel are the title's: the test pictures stay below it.
WHITE = 235


def picture(
    folder: Path, name: str, pixels: np.ndarray, tier: str = "free", suffix: str = ".jpg"
) -> Artifact:
    """A scene picture on disk, described as the artifact a scene would hold."""
    path = folder / f"{name}{suffix}"
    Image.fromarray(pixels).save(path)
    return {
        "path": str(path),
        "sha256": "",
        "tier": tier,
        "provider": "commons" if tier != "offline" else "cards",
    }


def without_white(pixels: np.ndarray, low: int = 0, high: int = 200) -> np.ndarray:
    """The picture's levels squeezed into low..high, so no pixel of it passes for the white title."""
    return (low + pixels.astype(np.float32) * (high - low) / 255).round().astype(np.uint8)


def rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "JPEG"
        return np.asarray(image.convert("RGB"))


def title_mask(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(pixels.min(axis=2) >= WHITE)


def luminance(pixels: np.ndarray) -> np.ndarray:
    c = pixels.astype(np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(linear @ np.array([0.2126, 0.7152, 0.0722]))


@pytest.fixture(scope="module")
def coffee(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return picture(tmp_path_factory.mktemp("pictures"), "coffee", without_white(data.coffee()))


@pytest.mark.parametrize("aspect", list(THUMBNAIL_SIZES))
def test_each_aspect_gets_its_size_as_a_jpeg_under_two_megabytes(
    aspect: str, coffee: Artifact, tmp_path: Path
) -> None:
    width, height = thumbnail_size(aspect)
    assert (width, height) == {"16:9": (1280, 720), "9:16": (1080, 1920), "1:1": (1080, 1080)}[aspect]
    out = design_thumbnail(
        title=TITLE, pictures=[coffee], style="bold", width=width, height=height, out_path=tmp_path / "t.jpg"
    )
    assert rgb(out).shape == (height, width, 3)
    assert 0 < out.stat().st_size < MAX_BYTES
    # Written atomically: nothing but the thumbnail is left beside it.
    assert [p.name for p in tmp_path.iterdir()] == ["t.jpg"]


@pytest.mark.parametrize("aspect", list(THUMBNAIL_SIZES))
def test_the_title_is_drawn_large_inside_the_safe_area(aspect: str, coffee: Artifact, tmp_path: Path) -> None:
    width, height = thumbnail_size(aspect)
    out = design_thumbnail(
        title=TITLE, pictures=[coffee], style="bold", width=width, height=height, out_path=tmp_path / "t.jpg"
    )
    mask = title_mask(rgb(out))
    rows, columns = np.nonzero(mask)
    inner = safe_areas(width, height).inner
    assert inner.left <= columns.min() and columns.max() < inner.right
    assert inner.top <= rows.min() and rows.max() < inner.bottom
    # The white pixels are the title's glyphs at the laid-out size: as much ink as the title set alone.
    layout = layout_title(TITLE, width, height)
    assert join_lines(layout.lines) == TITLE and len(layout.lines) <= MAX_LINES
    font = font_for(TITLE, layout.font_px)
    glyphs = sum(int(np.count_nonzero(np.asarray(font.getmask(line)) >= 128)) for line in layout.lines)
    assert int(mask.sum()) == pytest.approx(glyphs, rel=0.2)
    # Large type: the letters stand at least a tenth of the frame's short side.
    assert layout.font_px >= 0.1 * min(width, height)


def test_the_title_stays_legible_over_a_bright_busy_picture(tmp_path: Path) -> None:
    # Bright levels (150..225): without a scrim white letters would have a contrast of about 1.3.
    bright = picture(tmp_path, "bright", without_white(data.astronaut(), 150, 225))
    out = design_thumbnail(
        title=TITLE, pictures=[bright], style="calm", width=1280, height=720, out_path=tmp_path / "t.jpg"
    )
    pixels = rgb(out)
    mask = title_mask(pixels)
    rows, columns = np.nonzero(mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    # What is behind the letters: the title's box, away from the letters, their outline and shadow.
    reach = int(0.25 * (bottom - top) / 2) | 1
    near = cv2.dilate(mask.astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(bool)
    behind = pixels[top:bottom, left:right][~near[top:bottom, left:right]]
    assert behind.shape[0] > 1000
    level = float(np.percentile(luminance(behind), 95))
    white = float(luminance(pixels[mask]).mean())
    assert (white + 0.05) / (level + 0.05) >= 4.5


def test_a_long_title_is_cut_to_three_lines_and_a_short_one_set_larger() -> None:
    long = layout_title(LONG_TITLE, 1080, 1920)
    short = layout_title("Volcanoes", 1080, 1920)
    assert len(long.lines) == MAX_LINES and long.lines[-1].endswith("\u2026")
    assert len(short.lines) == 1 and short.font_px > long.font_px
    for layout in (long, short):
        assert safe_areas(1080, 1920).inner.contains(layout.box)


def test_a_photograph_is_preferred_to_a_card_and_a_vivid_one_to_a_dull_one(tmp_path: Path) -> None:
    card = picture(tmp_path, "card", np.full((320, 180, 3), (200, 30, 30), np.uint8), tier="offline")
    dull = picture(tmp_path, "dull", without_white(np.asarray(Image.fromarray(data.camera()).convert("RGB"))))
    vivid = picture(tmp_path, "vivid", without_white(data.coffee()))
    assert picture_strength(Image.open(vivid["path"])) > picture_strength(Image.open(dull["path"]))
    out = design_thumbnail(
        title="Hi",
        pictures=[card, dull, vivid],
        style="bold",
        width=1080,
        height=1080,
        out_path=tmp_path / "t.jpg",
    )
    corner = rgb(out)[:120].reshape(-1, 3).astype(np.float64)
    spread = corner.max(axis=1) - corner.min(axis=1)
    # The coffee photograph's warm browns, not the grey camera man and not the red card.
    assert spread.mean() > 25
    assert corner[:, 0].mean() < 180


def clip(path: Path, colour: tuple[int, int, int]) -> Path:
    """A one-second 160x90 H.264 clip of one colour, BT.709 limited range as stock clips are."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.time_base = Fraction(1, 30)
        stream.codec_context.colorspace = 1
        stream.codec_context.color_range = 1
        still = av.VideoFrame.from_ndarray(np.full((90, 160, 3), colour, np.uint8), format="rgb24")
        for k in range(30):
            frame = still.reformat(format="yuv420p", src_colorspace=1, dst_colorspace=1, dst_color_range=1)
            frame.pts = k
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_a_clip_gives_a_frame_in_its_true_colours(tmp_path: Path) -> None:
    colour = (200, 60, 40)
    scene: Artifact = {
        "path": str(clip(tmp_path / "scene.mp4", colour)),
        "sha256": "",
        "tier": "free",
        "provider": "pexels",
        "media": "clip",
    }
    out = design_thumbnail(
        title="Clip", pictures=[scene], style="bold", width=1280, height=720, out_path=tmp_path / "t.jpg"
    )
    # The top of the frame, far from a one-line title at the bottom, is the clip untouched by the scrim.
    top = rgb(out)[:60].reshape(-1, 3).mean(axis=0)
    assert top == pytest.approx(colour, abs=8)


def test_unreadable_pictures_leave_the_styles_gradient(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    scenes: list[Artifact] = [
        {"path": str(broken), "sha256": "", "tier": "offline", "provider": "cards"},
        {
            "path": str(tmp_path / "gone.mp4"),
            "sha256": "",
            "tier": "free",
            "provider": "pexels",
            "media": "clip",
        },
    ]
    out = design_thumbnail(
        title="Gradient", pictures=scenes, style="news", width=1080, height=1080, out_path=tmp_path / "t.jpg"
    )
    pixels = rgb(out)
    palette = palette_for("news", 1, "Gradient")
    assert pixels[:8].reshape(-1, 3).mean(axis=0) == pytest.approx(palette.top, abs=8)
    assert title_mask(pixels).any()


def test_a_chinese_title_is_set_in_the_cjk_font(coffee: Artifact, tmp_path: Path) -> None:
    title = "咖啡的历史"
    assert Path(font_for(title, 40).path) == CJK_FONT
    out = design_thumbnail(
        title=title, pictures=[coffee], style="sunset", width=1080, height=1920, out_path=tmp_path / "t.jpg"
    )
    mask = title_mask(rgb(out))
    assert mask.sum() > 0.01 * mask.size
    assert join_lines(layout_title(title, 1080, 1920).lines) == title


def test_bad_sizes_and_aspects_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="too small"):
        design_thumbnail(
            title="x", pictures=[], style="bold", width=10, height=10, out_path=tmp_path / "t.jpg"
        )
    with pytest.raises(BadInput, match="no thumbnail size for aspect '4:3'"):
        thumbnail_size("4:3")
