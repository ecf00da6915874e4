"""Safe areas and overlap on rendered frames, per aspect: a video made by `reelforge make`, rendered again
from its own files without captions, and without captions or text layers. The differences between the three
are where the captions and the text are; each must stay in its safe area, and they never meet."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from agents.video_files import FPS, TRANSITION_S, lay_out_timeline, timed_cues, timed_segments
from tests.conftest import run_cli
from tools.images.safe_areas import Box, safe_areas
from tools.media.render import render_video

pytestmark = pytest.mark.slow

# Compared in 4x4 blocks: a mean luma change this large is drawn text or a caption box, not the encoder's
# noise at sharp edges between two encodes of the same picture (single pixels differ by up to 40 there).
# A box measured in blocks may reach up to 3 pixels past what was drawn, so edges get that much slack.
BLOCK = 4
DRAWN = 12


def _frames(video: Path, times: list[float]) -> list[np.ndarray]:
    """The luma plane of the frame shown at each time."""
    wanted = sorted(round(t * FPS) for t in times)
    out: dict[int, np.ndarray] = {}
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                out[index] = frame.to_ndarray(format="gray")
    return [out[round(t * FPS)] for t in times]


def _drawn(one: np.ndarray, other: np.ndarray) -> Box | None:
    """The bounding box of what is drawn in one frame and not in the other, in pixels."""
    height, width = one.shape
    size = (width // BLOCK, height // BLOCK)
    small = [
        cv2.resize(frame.astype(np.float32), size, interpolation=cv2.INTER_AREA) for frame in (one, other)
    ]
    rows, cols = np.nonzero(np.abs(small[0] - small[1]) > DRAWN)
    if rows.size == 0:
        return None
    return Box(
        int(cols.min()) * BLOCK,
        int(rows.min()) * BLOCK,
        (int(cols.max()) + 1) * BLOCK,
        (int(rows.max()) + 1) * BLOCK,
    )


def _slack(box: Box) -> Box:
    """`box` grown by what measuring in blocks may add."""
    grow = BLOCK - 1
    return Box(box.left - grow, box.top - grow, box.right + grow, box.bottom + grow)


def _scene_assets(shown: dict) -> list[dict]:
    """The run's scenes as VideoProduction saw them: each picture and narration as its sidecar records it."""
    return [
        {
            "index": scene["index"],
            "image": json.loads(Path(scene["image"]["path"]).with_suffix(".json").read_text()),
            "audio": json.loads(Path(scene["audio"]["path"]).with_suffix(".json").read_text()),
        }
        for scene in shown["scenes"]
    ]


@pytest.mark.parametrize("voice", ["joe", "espeak"])
@pytest.mark.parametrize("aspect", ["9:16", "16:9", "1:1"])
def test_captions_and_text_stay_in_their_areas_and_never_meet(tmp_path, aspect, voice):
    home = tmp_path / "home"
    made = run_cli(
        home,
        "make",
        "the longest suspension bridges of the world and how engineers keep them standing",
        "--aspect",
        aspect,
        "--duration",
        "15",
        "--voice",
        voice,
        "--preview",
        "--captions",
        "plain",
        "--run-id",
        "layout",
        "--json",
    )
    assert made.code == 0, made.stderr
    summary = made.json()
    shown = run_cli(home, "show", "layout", "--json").json()
    job = json.loads((home / "runs" / "layout" / "job.json").read_text())
    job = job.get("job", job)
    width, height = summary["width"], summary["height"]
    scenes = _scene_assets(shown)
    assert all(scene["image"].get("overlay") for scene in scenes), "every scene has a text layer"
    timeline = lay_out_timeline(scenes, float(job["duration_s"]))
    cues = timed_cues(scenes, timeline, job)
    segments = timed_segments(scenes, timeline)
    soundtrack = next(Path(summary["video"]).parent.glob("soundtrack-*.wav"))
    no_captions = render_video(
        segments, [], soundtrack, tmp_path / "no-captions.mp4", width, height, FPS, TRANSITION_S
    )
    bare = [replace(segment, overlay=None) for segment in segments]
    no_text = render_video(bare, [], soundtrack, tmp_path / "no-text.mp4", width, height, FPS, TRANSITION_S)

    areas = safe_areas(width, height)
    # The middle of every cue, away from crossfades.
    times = [(cue.start_s + cue.end_s) / 2 for cue in cues]
    final, plain, blank = (_frames(video, times) for video in (Path(summary["video"]), no_captions, no_text))
    for t, with_all, without_captions, without_text in zip(times, final, plain, blank, strict=True):
        caption = _drawn(with_all, without_captions)
        text = _drawn(without_captions, without_text)
        assert caption is not None, f"no caption drawn at {t:.2f} s"
        assert text is not None, f"no text layer drawn at {t:.2f} s"
        assert _slack(areas.captions).contains(caption), (
            f"{aspect} at {t:.2f} s: caption {caption} leaves {areas.captions}"
        )
        assert _slack(areas.inner).contains(text), f"{aspect} at {t:.2f} s: text {text} leaves {areas.inner}"
        assert not caption.overlaps(text), f"{aspect} at {t:.2f} s: caption {caption} meets the text {text}"
