"""Scenes drawn from video clips: a short clip looped under a longer scene (with a crossfaded seam), a long
clip trimmed to a short one, the motion the clip's own, cover-cropped to the frame, captioned like a still."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from tests.servers.stock_media import CLIP_FPS, write_clip
from tests.tools.test_media_render import card, soundtrack
from tools.errors import BadInput
from tools.images.safe_areas import safe_areas
from tools.media.clips import LOOP_FADE_S, ClipPlayer, clip_seconds, is_clip
from tools.media.render import Segment, render_video
from tools.media.subtitles import Cue
from tools.media.verify import frame_luma_stats, probe_video

W, H, FPS = 360, 640, 30


def lumas(path: Path) -> list[np.ndarray]:
    """Every frame's luma plane, as stored."""
    with av.open(str(path)) as container:
        return [f.to_ndarray()[: f.height].astype(np.float32) for f in container.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


@dataclass
class Clips:
    short: Path  # 2 s, portrait
    long: Path  # 5 s, portrait
    wide: Path  # 2 s, landscape
    short_frames: list[np.ndarray]
    long_frames: list[np.ndarray]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    d = tmp_path_factory.mktemp("clips")
    short = write_clip(d / "short.mp4", "coffee", 2.0, W, H)
    long = write_clip(d / "long.mp4", "rocket", 5.0, W, H)
    wide = write_clip(d / "wide.mp4", "astronaut", 2.0, 640, 360)
    return Clips(short, long, wide, lumas(short), lumas(long))


def _render(tmp: Path, segments: list[Segment], seconds: float, cues: list[Cue] | None = None) -> Path:
    return render_video(segments, cues or [], soundtrack(tmp / "st.wav", seconds), tmp / "out.mp4", W, H, FPS)


def _source(frames: list[np.ndarray], seconds: float) -> np.ndarray:
    """The clip's frame on show `seconds` into it."""
    return frames[min(len(frames) - 1, int(seconds * CLIP_FPS + 1e-6))]


def test_clips_are_told_from_stills_by_their_file(clips: Clips, tmp_path: Path) -> None:
    assert is_clip(clips.short) and is_clip(Path("x.MOV")) and not is_clip(Path("scene-01.png"))
    assert clip_seconds(clips.short) == pytest.approx(2.0, abs=0.01)
    assert clip_seconds(clips.long) == pytest.approx(5.0, abs=0.01)


def test_a_short_clip_loops_under_a_longer_scene(clips: Clips, tmp_path: Path) -> None:
    out = _render(tmp_path, [Segment(clips.short, 0.0, 5.0, "zoom_in")], 5.0)
    probe = probe_video(out)
    assert probe.duration_s == pytest.approx(5.0, abs=0.05)
    frames = lumas(out)
    assert len(frames) == 5 * FPS
    period = 2.0 - LOOP_FADE_S
    # The first pass plays the clip as it is, the later ones again from its start (past each seam).
    for k in (6, 20, 40):
        assert psnr(frames[k], _source(clips.short_frames, k / FPS)) > 30, k
    for k in (76, 90, 130):
        t = k / FPS
        into = t - period * int(t / period)
        assert into >= LOOP_FADE_S, "a frame past the seam"
        assert psnr(frames[k], _source(clips.short_frames, into)) > 30, k
    # The picture keeps moving all the way through: no frozen stretch after the clip's end.
    steps = [float(np.abs(frames[k + 5] - frames[k]).mean()) for k in range(0, len(frames) - 5, 5)]
    assert min(steps) > 0.5
    # No cut at a seam: the clip's end fades into its start, so no step there is a jump back.
    jump = float(np.abs(clips.short_frames[-1] - clips.short_frames[0]).mean())
    seam = range(round(period * FPS) - 2, round(2.0 * FPS) + 2)
    assert max(float(np.abs(frames[k + 1] - frames[k]).mean()) for k in seam) < 0.5 * jump


def test_a_long_clip_is_trimmed_to_a_short_scene(clips: Clips, tmp_path: Path) -> None:
    out = _render(tmp_path, [Segment(clips.long, 0.0, 2.0, "pan_left")], 2.0)
    assert probe_video(out).duration_s == pytest.approx(2.0, abs=0.05)
    frames = lumas(out)
    assert len(frames) == 2 * FPS
    # Its own motion, at the output's rate: each frame is the clip's frame at that moment, not a pan.
    for k in (3, 17, 31, 45, 59):
        assert psnr(frames[k], _source(clips.long_frames, k / FPS)) > 30, k
    assert float(np.abs(frames[0] - frames[-1]).mean()) > 3.0


def test_a_landscape_clip_covers_a_portrait_frame(clips: Clips, tmp_path: Path) -> None:
    out = _render(tmp_path, [Segment(clips.wide, 0.0, 1.0, "zoom_in")], 1.0)
    for mean, _std, border in frame_luma_stats(out, points=4):
        assert mean > 30 and border > 20, "covered: no black bars"


def test_clips_and_stills_share_a_timeline_with_crossfades_and_captions(clips: Clips, tmp_path: Path) -> None:
    segments = [
        Segment(card(tmp_path / "a.png", W, H, 1), 0.0, 1.5, "zoom_in"),
        Segment(clips.short, 1.5, 1.5, "pan_left"),
        Segment(card(tmp_path / "c.png", W, H, 3), 3.0, 1.0, "zoom_out"),
    ]
    cue = Cue(1.8, 2.6, ("Over the clip",))
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    with_cue = lumas(_render(tmp_path / "with", segments, 4.0, [cue]))
    without = lumas(_render(tmp_path / "without", segments, 4.0))
    assert len(with_cue) == len(without) == 4 * FPS
    areas = safe_areas(W, H)
    # A one-line cue's box: the bottom line of the caption band.
    x0, x1, y1 = areas.captions.left, areas.captions.right, areas.captions.bottom
    y0 = y1 - areas.caption_line_px - 2 * areas.caption_pad_y
    k = round(2.2 * FPS)
    inside = np.abs(with_cue[k][y0:y1, x0:x1] - without[k][y0:y1, x0:x1]).mean()
    outside = np.abs(with_cue[k][: y0 - 20] - without[k][: y0 - 20]).mean()
    assert inside > 10 and outside < 1.0, "the caption is drawn over the clip, and only there"
    # The clip is on screen in its slot, and the crossfade from the still blends into it.
    assert psnr(without[k], _source(clips.short_frames, 2.2 - 1.5 + 0.2)) > 30


def test_a_looping_player_keeps_two_decoders_at_most(clips: Clips) -> None:
    player = ClipPlayer(clips.short, W, H, 9.0)
    y = np.empty((H, W), np.uint8)
    u = np.empty((H // 2, W // 2), np.uint8)
    v = np.empty((H // 2, W // 2), np.uint8)
    try:
        for k in range(0, 9 * FPS, 3):
            player.draw(k / FPS, y, u, v)
        assert player.loops and len(player._readers) == 2
    finally:
        player.close()


def test_a_clip_that_does_not_decode_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "scene-01-abc.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with pytest.raises(BadInput, match="cannot read scene clip .*scene-01-abc.mp4.*make the scene"):
        _render(tmp_path, [Segment(broken, 0.0, 1.0, "zoom_in")], 1.0)
    assert not (tmp_path / "out.mp4").exists()
