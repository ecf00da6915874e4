"""Tests for the renderer with real PyAV and libx264: streams, colour, motion, fades and captions."""

from __future__ import annotations

import time
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.errors import BadInput
from tools.images.safe_areas import safe_areas
from tools.media.render import FONT_PATH, Segment, render_video, rgb_to_yuv_planes
from tools.media.subtitles import Cue
from tools.media.verify import frame_luma_stats, probe_video

W, H, FPS = 360, 640, 30
SOLID = (200, 60, 40)
CUES = [
    Cue(0.1, 1.0, ("Fresh beans make better coffee,", "every single morning of the week.")),
    Cue(1.5, 2.2, ("Second caption",)),
]


def card(path: Path, width: int, height: int, seed: int) -> Path:
    """A busy test card: gradient, discs and a title, so motion and captions are easy to see."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack(
        [60 + xx * 140 // width, 60 + yy * 140 // height, np.full_like(xx, 80 + 40 * seed)], axis=-1
    ).astype(np.uint8)
    img = Image.fromarray(base)
    draw = ImageDraw.Draw(img)
    for _ in range(30):
        x, y, r = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(8, width // 5))
        draw.ellipse((x, y, x + r, y + r), fill=tuple(int(c) for c in rng.integers(40, 255, 3)))
    font = ImageFont.truetype(str(FONT_PATH), max(12, width // 9))
    draw.text((width // 2, height // 3), f"Card {seed}", font=font, fill="white", anchor="mm")
    img.save(path)
    return path


def solid(path: Path, width: int, height: int, colour: tuple[int, int, int]) -> Path:
    """A flat-colour card."""
    Image.new("RGB", (width, height), colour).save(path)
    return path


def soundtrack(path: Path, seconds: float) -> Path:
    """A 48 kHz stereo 16-bit tone, the shape build_soundtrack produces."""
    t = np.arange(int(seconds * 48000)) / 48000
    tone = 0.2 * np.sin(2 * np.pi * 440 * t)
    pcm = (np.stack([tone, tone], axis=1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(48000)
        handle.writeframes(pcm.tobytes())
    return path


def decode_planes(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every frame's raw Y, U, V planes (limited range as stored)."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.format.name == "yuv420p"
            yuv = frame.to_ndarray()
            h = frame.height
            flat = yuv.reshape(-1)
            w = frame.width
            frames.append(
                (
                    yuv[:h].astype(np.int16),
                    flat[w * h : w * h * 5 // 4].reshape(h // 2, w // 2).astype(np.int16),
                    flat[w * h * 5 // 4 :].reshape(h // 2, w // 2).astype(np.int16),
                )
            )
    return frames


Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Rendered:
    """The module's two renders (with and without captions), decoded, plus the progress calls."""

    with_cues: Path
    without: Path
    planes_with: list[Planes]
    planes_without: list[Planes]
    calls: list[float]
    wall: float


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """One small render with captions and the same render without, plus the progress calls."""
    d = tmp_path_factory.mktemp("render")
    segments = [
        Segment(card(d / "a.png", W, H, 1), 0.0, 1.2, "zoom_in"),
        Segment(card(d / "b.png", W, H, 2), 1.2, 1.2, "pan_left"),
        Segment(solid(d / "c.png", W, H, SOLID), 2.4, 1.0, "zoom_out"),
    ]
    audio = soundtrack(d / "st.wav", 3.4)
    calls: list[float] = []
    started = time.monotonic()
    with_cues = render_video(segments, CUES, audio, d / "out" / "with.mp4", W, H, progress=calls.append)
    wall = time.monotonic() - started
    without = render_video(segments, [], audio, d / "out" / "without.mp4", W, H)
    return Rendered(with_cues, without, decode_planes(with_cues), decode_planes(without), calls, wall)


def test_output_is_h264_yuv420p_30fps_bt709_with_aac(rendered: Rendered) -> None:
    path = rendered.with_cues
    probe = probe_video(path)
    assert (probe.video_codec, probe.pix_fmt, probe.width, probe.height) == ("h264", "yuv420p", W, H)
    assert probe.fps == 30.0
    assert probe.duration_s == pytest.approx(3.4, abs=0.05)
    assert (probe.audio_codec, probe.audio_channels, probe.audio_rate) == ("aac", 2, 48000)
    assert (probe.color_range, probe.color_space) == ("tv", "bt709")
    with av.open(str(path)) as container:
        cc = container.streams.video[0].codec_context
        assert (int(cc.color_primaries), int(cc.color_trc)) == (1, 1)
    assert len(rendered.planes_with) == round(3.4 * FPS)
    # Written atomically: only the two finished files are in the folder.
    assert sorted(p.name for p in path.parent.iterdir()) == ["with.mp4", "without.mp4"]


def test_no_black_frames_or_border_bars(rendered: Rendered) -> None:
    for mean, _std, border in frame_luma_stats(rendered.with_cues, points=8):
        assert mean > 40
        assert border > 40
    # Zoom and pan read only inside the image, so no edge column or row ever turns black.
    for y, _, _ in rendered.planes_without:
        assert min(y[:, 0].mean(), y[:, -1].mean(), y[0].mean(), y[-1].mean()) > 40


def test_colours_are_bt709_limited_range() -> None:
    def one(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
        y, u, v = rgb_to_yuv_planes(np.full((2, 2, 3), rgb, np.uint8))
        return int(y[0, 0]), int(u[0, 0]), int(v[0, 0])

    assert one((0, 0, 0)) == (16, 128, 128)
    assert one((255, 255, 255)) == (235, 128, 128)
    assert one((255, 0, 0)) == (63, 102, 240)
    assert one((0, 255, 0)) == (173, 42, 26)
    assert one((0, 0, 255)) == (32, 240, 118)


def test_a_flat_card_keeps_its_colour_through_the_encoder(rendered: Rendered) -> None:
    y, u, v = rendered.planes_without[-5]
    r, g, b = SOLID
    expected_y = 16 + 219 * (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
    expected_u = 128 + 224 * (b - (0.2126 * r + 0.7152 * g + 0.0722 * b)) / (2 * (1 - 0.0722)) / 255
    expected_v = 128 + 224 * (r - (0.2126 * r + 0.7152 * g + 0.0722 * b)) / (2 * (1 - 0.2126)) / 255
    assert float(y[100:200, 100:200].mean()) == pytest.approx(expected_y, abs=2)
    assert float(u[50:100, 50:100].mean()) == pytest.approx(expected_u, abs=2)
    assert float(v[50:100, 50:100].mean()) == pytest.approx(expected_v, abs=2)


def test_the_caption_is_drawn_inside_the_safe_area(rendered: Rendered) -> None:
    y_with = rendered.planes_with[15][0]
    y_without = rendered.planes_without[15][0]
    changed = np.abs(y_with - y_without) > 40
    assert changed.sum() > 1500, "the caption should change many pixels"
    rows, cols = np.nonzero(changed)
    band = safe_areas(W, H).captions
    assert (rows.min(), cols.min()) >= (band.top, band.left)
    assert (rows.max(), cols.max()) < (band.bottom, band.right)
    # Frames with no active cue are untouched (up to encoder noise).
    late_with = rendered.planes_with[80][0]
    late_without = rendered.planes_without[80][0]
    assert float(np.abs(late_with - late_without).mean()) < 1.0


def test_motion_is_smooth_and_really_moves(rendered: Rendered) -> None:
    frames = [p[0] for p in rendered.planes_without]
    # Inside one segment (zoom_in: frames 0-29; pan_left: 42-65) the picture keeps moving.
    assert float(np.abs(frames[3] - frames[27]).mean()) > 2.0
    assert float(np.abs(frames[44] - frames[62]).mean()) > 2.0
    # Sub-pixel motion: every step in the middle of a segment changes the picture, with no
    # frozen frames followed by jumps as whole-pixel zooms produce.
    steps = [float(np.abs(frames[k + 1] - frames[k]).mean()) for k in range(8, 22)]
    assert min(steps) > 0.05
    assert max(steps) < 4 * (sum(steps) / len(steps))


def test_crossfade_blends_neighbouring_scenes(rendered: Rendered) -> None:
    frames = [p[0].astype(float) for p in rendered.planes_without]
    before, middle, after = frames[29], frames[36], frames[43]
    # Half way through the fade the frame sits between the two scenes.
    mixed = np.abs(middle - (before + after) / 2).mean()
    assert mixed < 0.6 * np.abs(middle - before).mean()
    assert mixed < 0.6 * np.abs(middle - after).mean()


def test_progress_is_reported_before_every_frame_and_at_the_end(rendered: Rendered) -> None:
    calls = rendered.calls
    frames = round(3.4 * FPS)
    assert calls == [k / frames for k in range(frames)] + [1.0]


def test_progress_can_stop_the_render_and_leaves_no_file(tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    def stop_at_half(fraction: float) -> None:
        if fraction >= 0.5:
            raise Stop

    segments = [Segment(card(tmp_path / "a.png", W, H, 1), 0.0, 1.0, "zoom_in")]
    out = tmp_path / "out" / "video.mp4"
    with pytest.raises(Stop):
        render_video(segments, [], soundtrack(tmp_path / "st.wav", 1.0), out, W, H, progress=stop_at_half)
    assert not out.exists() and not list(out.parent.iterdir())


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080), (1080, 1080)])
def test_full_size_captions_stay_inside_the_caption_box(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    still = card(tmp_path / "card.png", width, height, 3)
    audio = soundtrack(tmp_path / "st.wav", 0.1)
    segments = [Segment(still, 0.0, 2 / FPS, "zoom_in")]
    longest = ("W" * 10 + " " + "m" * 31, "Mmmmmmmm mmmmmmmmm mmmmmmmm mmmmmmmmm mmmm")
    # Near-lossless, so x264's rate control cannot move pixels outside the caption between the two encodes.
    plain = render_video(segments, [], audio, tmp_path / "plain.mp4", width, height, crf=4)
    cues = [Cue(0.0, 1.0, longest)]
    captioned = render_video(segments, cues, audio, tmp_path / "cap.mp4", width, height, crf=4)
    changed = np.abs(decode_planes(captioned)[0][0] - decode_planes(plain)[0][0]) > 40
    rows, cols = np.nonzero(changed)
    assert rows.size > 5000
    band = safe_areas(width, height).captions
    assert (rows.min(), cols.min()) >= (band.top, band.left)
    assert (rows.max(), cols.max()) < (band.bottom, band.right)


def test_bad_segments_are_rejected_before_any_file_is_written(tmp_path: Path) -> None:
    still = card(tmp_path / "card.png", W, H, 1)
    audio = soundtrack(tmp_path / "st.wav", 1.0)
    out = tmp_path / "out" / "video.mp4"
    with pytest.raises(BadInput, match="unknown motion 'spin'"):
        render_video([Segment(still, 0, 1, "spin")], [], audio, out, W, H)
    with pytest.raises(BadInput, match="scene image not found"):
        render_video([Segment(tmp_path / "missing.png", 0, 1, "zoom_in")], [], audio, out, W, H)
    with pytest.raises(BadInput, match="must be positive and even"):
        render_video([Segment(still, 0, 1, "zoom_in")], [], audio, out, 361, H)
    with pytest.raises(BadInput, match="soundtrack not found"):
        render_video([Segment(still, 0, 1, "zoom_in")], [], tmp_path / "none.wav", out, W, H)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_a_failed_render_leaves_no_partial_file(tmp_path: Path) -> None:
    still = card(tmp_path / "card.png", 180, 320, 1)
    audio = soundtrack(tmp_path / "st.wav", 2.0)
    out = tmp_path / "out" / "video.mp4"

    def explode(fraction: float) -> None:
        # The first report comes with the first frame, so this fails while the file is half written.
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        render_video([Segment(still, 0, 2.0, "pan_up")], [], audio, out, 180, 320, progress=explode)
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("motion", ["zoom_in", "zoom_out", "pan_left", "pan_down"])
def test_fast_scale_shift_matches_a_full_affine_warp(tmp_path: Path, motion: str) -> None:
    import cv2
    from PIL import Image

    from tools.media.render import _motion_matrices, _scale_shift

    width, height = 540, 960
    src = np.asarray(Image.open(card(tmp_path / "card.png", width, height, 2)).convert("L"))
    for progress in (0.0, 0.37, 1.0):
        matrix, _ = _motion_matrices(motion, progress, width, height)
        fast = np.empty_like(src)
        _scale_shift(src, matrix, fast)
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        exact = cv2.warpAffine(src, matrix, (width, height), flags=flags, borderMode=cv2.BORDER_REFLECT)
        mse = float(np.mean((fast.astype(float) - exact.astype(float)) ** 2))
        assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 38, (motion, progress)
