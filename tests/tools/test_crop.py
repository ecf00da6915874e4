"""Tests for the subject-aware crop: real photographs keep their subject where a centre crop would lose it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from tools.images.crop import crop_box, fit_to_subject

Region = tuple[int, int, int, int]  # left, top, right, bottom in the photograph's own pixels

# Where each photograph's subject is, measured by eye on scikit-image's copies.
SUBJECTS: dict[str, Region] = {
    "astronaut": (190, 90, 260, 160),  # eyes and mouth
    "chelsea": (225, 110, 295, 260),  # between the eyes down to the nose
    "coffee": (200, 40, 380, 200),  # the cup's rim and the coffee
    "rocket": (300, 140, 345, 400),  # the rocket's body
}


def photo(name: str) -> np.ndarray:
    """One of scikit-image's sample photographs as RGB."""
    return np.asarray(getattr(data, name)(), dtype=np.uint8)


def beside_blur(picture: np.ndarray, side: str, ratio: float) -> tuple[Image.Image, int]:
    """Widen a photo to `ratio` with an out-of-focus mirror of itself, as a shallow-focus landscape is.

    The photo sits on `side`; the second value is how far right it was moved.
    """
    height, width = picture.shape[:2]
    pad = round(height * ratio) - width
    assert pad > 0
    blurred = cv2.GaussianBlur(cv2.resize(picture[:, ::-1], (pad, height)), (0, 0), 25)
    parts = [picture, blurred] if side == "left" else [blurred, picture]
    return Image.fromarray(np.hstack(parts)), (0 if side == "left" else pad)


def centred(image: Image.Image, width: int, height: int) -> tuple[float, float, float, float]:
    """The window a plain centre crop (ImageOps.fit) would take."""
    scale = min(image.width / width, image.height / height)
    win_w, win_h = width * scale, height * scale
    left, top = (image.width - win_w) / 2, (image.height - win_h) / 2
    return left, top, left + win_w, top + win_h


def holds(box: tuple[float, float, float, float], region: Region) -> bool:
    left, top, right, bottom = box
    return left <= region[0] and top <= region[1] and region[2] <= right and region[3] <= bottom


def shifted(region: Region, dx: int) -> Region:
    return region[0] + dx, region[1], region[2] + dx, region[3]


@pytest.mark.parametrize(
    ("name", "side", "ratio"),
    [
        ("astronaut", "right", 16 / 9),
        ("chelsea", "left", 3.0),
        ("chelsea", "right", 3.0),
        ("coffee", "left", 2.2),
        ("rocket", "right", 2.5),
    ],
)
def test_a_landscape_photo_cropped_to_portrait_keeps_its_subject(name: str, side: str, ratio: float):
    image, dx = beside_blur(photo(name), side, ratio)
    subject = shifted(SUBJECTS[name], dx)
    assert not holds(centred(image, 9, 16), subject), "the case must be one the centre crop gets wrong"
    box = crop_box(image, 1080, 1920)
    assert holds(box, subject), box
    assert box[2] - box[0] == pytest.approx(image.height * 9 / 16)
    assert (box[1], box[3]) == (0.0, image.height)


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "rocket"])
def test_a_photo_with_its_subject_in_the_middle_keeps_it(name: str):
    image = Image.fromarray(photo(name))
    assert holds(crop_box(image, 9, 16), SUBJECTS[name])


def noisy(width: int, height: int, seed: int = 7) -> Image.Image:
    """Grey sensor-like noise: texture everywhere, a subject nowhere."""
    rng = np.random.default_rng(seed)
    grey = np.clip(rng.normal(128, 18, (height, width)), 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([grey] * 3))


def with_disc(image: Image.Image, centre: tuple[int, int], radius: int) -> Image.Image:
    pixels = np.array(image)
    cv2.circle(pixels, centre, radius, (230, 40, 30), thickness=-1)
    return Image.fromarray(pixels)


def red_share(image: Image.Image) -> float:
    pixels = np.asarray(image, dtype=np.int32)
    red = (pixels[..., 0] > 170) & (pixels[..., 1] < 110) & (pixels[..., 2] < 110)
    return float(red.mean())


def test_a_small_object_near_the_edge_of_a_noisy_picture_is_kept():
    image = with_disc(noisy(1600, 900), (1480, 430), 60)
    box = crop_box(image, 1080, 1920)
    assert holds(box, (1420, 370, 1540, 490)), box
    assert red_share(fit_to_subject(image, 270, 480)) > 0.02
    assert red_share(image.crop(tuple(round(v) for v in centred(image, 9, 16)))) == 0.0


def test_a_tall_picture_cropped_to_landscape_keeps_an_object_near_the_top():
    image = with_disc(noisy(600, 1200), (300, 90), 50)
    box = crop_box(image, 1920, 1080)
    assert (box[0], box[2]) == (0.0, 600.0)
    assert holds(box, (250, 40, 350, 140)), box


def test_a_flat_grey_picture_falls_back_to_the_centre():
    image = Image.new("RGB", (1600, 900), (128, 128, 128))
    assert crop_box(image, 1080, 1920) == pytest.approx(centred(image, 1080, 1920))


def test_plain_noise_falls_back_to_the_centre():
    image = noisy(1600, 900)
    assert crop_box(image, 1080, 1920) == pytest.approx(centred(image, 1080, 1920))


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (1920, 1080), (640, 640), (7, 3), (1, 1)])
def test_the_output_has_exactly_the_asked_size(width: int, height: int):
    image, _ = beside_blur(photo("chelsea"), "left", 2.0)
    out = fit_to_subject(image, width, height)
    assert out.size == (width, height)
    assert out.mode == "RGB"


@pytest.mark.parametrize("size", [(1, 1), (5, 3), (3, 40), (400, 2)])
def test_a_tiny_or_thin_picture_still_fits(size: tuple[int, int]):
    image = Image.new("RGB", size, (200, 30, 30))
    out = fit_to_subject(image, 90, 160)
    assert out.size == (90, 160)
    assert out.getpixel((45, 80)) == (200, 30, 30)


def test_a_picture_already_at_the_aspect_is_used_whole():
    image = Image.fromarray(photo("rocket")).resize((540, 960))
    assert crop_box(image, 1080, 1920) == pytest.approx((0.0, 0.0, 540.0, 960.0), abs=0.5)


def test_the_scale_is_good_quality_not_nearest_neighbour():
    # A one-pixel checkerboard scaled down by 2 becomes even grey with a proper filter, not the same pattern.
    checker = (np.indices((200, 200)).sum(axis=0) % 2 * 255).astype(np.uint8)
    out = np.asarray(fit_to_subject(Image.fromarray(checker).convert("RGB"), 100, 100), dtype=np.int32)
    assert out.std() < 20


def test_a_palette_picture_is_resized_in_colour():
    image = with_disc(noisy(800, 450), (700, 225), 40).convert("P", palette=Image.Palette.ADAPTIVE)
    out = fit_to_subject(image, 90, 160)
    assert out.mode == "RGB" and out.size == (90, 160)
    assert red_share(out) > 0.02


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (-1, 5)])
def test_an_empty_target_size_is_refused_in_one_line(width: int, height: int):
    with pytest.raises(ValueError, match="ask for at least 1x1") as caught:
        fit_to_subject(Image.new("RGB", (10, 10)), width, height)
    assert "\n" not in str(caught.value)
