"""Crop a picture to a frame's aspect around its subject: saliency on a small copy, then one fine resize."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

__all__ = ["crop_box", "fit_to_subject", "saliency_map"]

FloatMap = npt.NDArray[np.float32]
Box = tuple[float, float, float, float]

# Saliency is a coarse question: ~128 px answers it in a few milliseconds whatever the photo's size.
ANALYSIS_SIDE = 128
# Spectral residual works on the spectrum of a tiny grey copy (Hou & Zhang use 64 px).
SPECTRAL_SIDE = 64
# The centre prior: a wide Gaussian that only breaks ties and calms noise, floor 1 - CENTRE_WEIGHT.
CENTRE_WEIGHT = 0.35
CENTRE_SIGMA = 0.45
# How much focus gates the other cues: out-of-focus parts keep 1 - FOCUS_WEIGHT of their saliency.
FOCUS_WEIGHT = 0.75
# Below this gain over the centre window the saliency is not sure enough to move away from the centre.
MIN_GAIN = 0.12
# A picture whose saliency is this flat has no subject to follow.
MIN_CONTRAST = 1e-3


def fit_to_subject(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale `image` to cover width x height and crop it there, keeping the most salient window."""
    if width < 1 or height < 1:
        raise ValueError(f"the crop size {width}x{height} is empty; ask for at least 1x1 pixels")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        # Palette and bilevel pictures only resize by nearest neighbour; convert them to resize well.
        image = image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB")
    box = crop_box(image, width, height)
    return image.resize((width, height), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def crop_box(image: Image.Image, width: int, height: int) -> Box:
    """The (left, top, right, bottom) window of aspect width:height, as large as fits, around the subject."""
    src_w, src_h = image.size
    target = width / height
    if src_w / src_h > target:
        win_w, win_h = src_h * target, float(src_h)
    else:
        win_w, win_h = float(src_w), src_w / target
    slack_x, slack_y = src_w - win_w, src_h - win_h
    # Nothing to choose (same aspect), or too few pixels to say anything about: the centre is the answer.
    if max(slack_x / src_w, slack_y / src_h) < 0.01 or min(src_w, src_h) < 8:
        return _centred(src_w, src_h, win_w, win_h)
    saliency = saliency_map(_small_rgb(image))
    horizontal = slack_x > slack_y
    # The window spans the whole other axis, so only the profile along the free axis matters.
    profile = saliency.sum(axis=0 if horizontal else 1, dtype=np.float64)
    offset = _best_offset(profile, (win_w / src_w) if horizontal else (win_h / src_h))
    if offset is None:
        return _centred(src_w, src_h, win_w, win_h)
    if horizontal:
        left = offset * slack_x
        return left, 0.0, left + win_w, float(src_h)
    top = offset * slack_y
    return 0.0, top, float(src_w), top + win_h


def saliency_map(rgb: npt.NDArray[np.uint8]) -> FloatMap:
    """Where the eye goes, in [0, 1]: spectral and colour contrast, gated by focus, mildly centre-weighted."""
    height, width = rgb.shape[:2]
    spectral = _normalised(_spectral_residual(rgb, (width, height)))
    colour = _normalised(_colour_contrast(rgb))
    # Photographers put the subject in focus; a blurred background may be colourful but is not the point.
    focus = _normalised(_sharpness(rgb))
    combined = (0.5 * spectral + 0.5 * colour) * (1.0 - FOCUS_WEIGHT + FOCUS_WEIGHT * focus)
    if float(combined.max()) <= MIN_CONTRAST:
        return np.zeros((height, width), np.float32)
    return _normalised(combined * _centre_prior(width, height))


def _small_rgb(image: Image.Image) -> npt.NDArray[np.uint8]:
    """An RGB copy whose longer side is at most ANALYSIS_SIDE pixels."""
    scale = min(1.0, ANALYSIS_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # BOX with a reducing gap averages blocks first, which is what makes a 4000 px photo cheap here.
    small = image.convert("RGB") if image.mode != "RGB" else image
    small = small.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return np.asarray(small, dtype=np.uint8)


def _spectral_residual(rgb: npt.NDArray[np.uint8], size: tuple[int, int]) -> FloatMap:
    """Hou & Zhang's spectral residual: what the log spectrum has beyond its smooth trend stands out."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    scale = SPECTRAL_SIDE / max(grey.shape)
    tiny_size = (max(4, round(grey.shape[1] * scale)), max(4, round(grey.shape[0] * scale)))
    tiny = cv2.resize(grey, tiny_size, interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(tiny)
    log_amplitude = np.log(np.abs(spectrum) + 1e-6).astype(np.float32)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3), borderType=cv2.BORDER_REPLICATE)
    back = np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))
    energy = np.asarray(cv2.GaussianBlur((np.abs(back) ** 2).astype(np.float32), (0, 0), 2.5), np.float32)
    # A flat picture's residual is numerical noise; its grey level range says whether anything is there.
    if float(np.ptp(tiny)) < 4.0:
        energy[:] = 0.0
    return np.asarray(cv2.resize(energy, size, interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def _colour_contrast(rgb: npt.NDArray[np.uint8]) -> FloatMap:
    """Achanta's frequency-tuned saliency: each blurred pixel's Lab distance from the picture's mean."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    blurred = cv2.GaussianBlur(lab, (0, 0), max(1.0, max(rgb.shape[:2]) / 96))
    mean = lab.reshape(-1, 3).mean(axis=0)
    distance = np.sqrt(((blurred - mean) ** 2).sum(axis=2))
    # Distances under a just-noticeable Lab difference are texture and noise, not a subject.
    return np.asarray(np.maximum(distance - 2.3, 0.0), dtype=np.float32)


def _sharpness(rgb: npt.NDArray[np.uint8]) -> FloatMap:
    """Local gradient energy: high where the picture is in focus, low in smooth or blurred parts."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx, gy)
    return np.asarray(cv2.GaussianBlur(magnitude, (0, 0), max(1.0, max(rgb.shape[:2]) / 32)), np.float32)


def _centre_prior(width: int, height: int) -> FloatMap:
    """A mild Gaussian weight: 1 at the centre, 1 - CENTRE_WEIGHT far from it."""
    xs = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    ys = (np.arange(height, dtype=np.float32) + 0.5) / height - 0.5
    gauss = np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2) / (2 * CENTRE_SIGMA**2))
    return np.asarray(1.0 - CENTRE_WEIGHT + CENTRE_WEIGHT * gauss, dtype=np.float32)


def _normalised(values: FloatMap) -> FloatMap:
    """Scale to [0, 1]; a constant map becomes zeros."""
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.zeros_like(values, dtype=np.float32)
    return np.asarray((values - low) / (high - low), dtype=np.float32)


def _best_offset(profile: npt.NDArray[np.float64], fraction: float) -> float | None:
    """Where the window (a `fraction` of the axis) holds the most saliency, in [0, 1]; None for the centre."""
    cells = len(profile)
    span = min(cells, max(1, round(fraction * cells)))
    positions = cells - span + 1
    total = float(profile.sum())
    if positions < 2 or total <= MIN_CONTRAST:
        return None
    cumulative = np.concatenate(([0.0], np.cumsum(profile)))
    sums = cumulative[span:] - cumulative[:-span]
    centre = (positions - 1) / 2
    # A sliver more weight to nearer-centre windows, so equal sums settle in the middle.
    sums = sums - 1e-9 * total * np.abs(np.arange(positions) - centre)
    best = int(np.argmax(sums))
    centre_sum = float(np.interp(centre, np.arange(positions), sums))
    if float(sums[best]) < (1.0 + MIN_GAIN) * centre_sum:
        return None
    return best / (positions - 1)


def _centred(src_w: int, src_h: int, win_w: float, win_h: float) -> Box:
    """The window in the middle of the picture, as ImageOps.fit takes it."""
    left, top = (src_w - win_w) / 2, (src_h - win_h) / 2
    return left, top, left + win_w, top + win_h
