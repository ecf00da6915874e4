"""`reelforge make` gives a designed thumbnail: the aspect's thumbnail size (a preview too), the one the
gallery publishes, under YouTube's 2 MB, and not any frame of the video."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli
from tools.images.thumbnail import MAX_BYTES, THUMBNAIL_SIZES, frame_rgb

pytestmark = pytest.mark.slow

SAMPLE_EVERY_S = 0.25
# Mean absolute difference (0-255, over all pixels and channels) above which the thumbnail is clearly not
# a frame. Measured on these runs: a frame against itself after the thumbnail's path (scaled up to the
# thumbnail's size, saved as JPEG, scaled back) differs by 0.6, and samples a quarter second apart within a
# scene by a median of 0.9 (slow pan); the designed thumbnail's closest frame is 23 (9:16, the same card
# background without the title and scrim) to 43 (16:9) away. 12 is many times what the same picture gives,
# and half of the closest real distance.
CLEARLY_DIFFERENT = 12.0
SAME_PICTURE_FLOOR = 2.0


def rgb_frames(video: Path) -> list[tuple[float, np.ndarray]]:
    """The frame on screen every SAMPLE_EVERY_S seconds, in RGB with the file's own matrix and range."""
    frames: list[tuple[float, np.ndarray]] = []
    due = 0.0
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            if frame.time is None or frame.time + 1e-6 < due:
                continue
            frames.append((frame.time, frame_rgb(frame)))
            due += SAMPLE_EVERY_S
    return frames


def mean_abs_difference(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first.astype(np.int16) - second.astype(np.int16)).mean())


def through_thumbnail_path(frame: np.ndarray, size: tuple[int, int], folder: Path) -> np.ndarray:
    """The frame as the comparison sees a thumbnail: at the thumbnail's size as a JPEG, scaled back."""
    path = folder / "control.jpg"
    Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS).save(path, quality=90)
    with Image.open(path) as image:
        back = image.convert("RGB").resize((frame.shape[1], frame.shape[0]), Image.Resampling.BOX)
    return np.asarray(back)


@pytest.mark.parametrize("aspect", ["9:16", "16:9", "1:1"])
def test_the_thumbnail_is_designed_and_is_no_frame_of_the_video(home, tmp_path, aspect):
    result = run_cli(
        home,
        "make",
        "how volcanoes work",
        "--aspect",
        aspect,
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--preview",
        "--run-id",
        "thumb",
        "--json",
    )
    assert result.code == 0, result.stderr
    video = Path(result.json()["video"])
    run_dir = home / "runs" / "thumb"
    (thumbnail,) = (run_dir / "video").glob("thumbnail-*.jpg")
    # The gallery (and so every publisher, which reads the same artifact) has this very file.
    assert (home / "gallery" / "thumb" / "thumbnail.jpg").read_bytes() == thumbnail.read_bytes()
    assert 0 < thumbnail.stat().st_size < MAX_BYTES
    with Image.open(thumbnail) as opened:
        assert opened.format == "JPEG"
        assert opened.size == THUMBNAIL_SIZES[aspect]
        designed = opened.convert("RGB")

    frames = rgb_frames(video)
    height, width = frames[0][1].shape[:2]
    assert len(frames) >= 10 / SAMPLE_EVERY_S - 2
    shrunk = np.asarray(designed.resize((width, height), Image.Resampling.BOX))
    differences = [mean_abs_difference(shrunk, frame) for _, frame in frames]
    floor = max(
        mean_abs_difference(frame, through_thumbnail_path(frame, designed.size, tmp_path))
        for _, frame in frames[:: len(frames) // 4]
    )
    report = {"floor": round(floor, 2), "closest": round(min(differences), 2), "aspect": aspect}
    print(json.dumps(report))
    assert floor < SAME_PICTURE_FLOOR, report
    closest = int(np.argmin(differences))
    assert differences[closest] > CLEARLY_DIFFERENT, (
        f"the thumbnail is like the frame at {frames[closest][0]:.2f} s"
    )
