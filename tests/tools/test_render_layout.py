"""The renderer's layout on decoded frames: a text layer that does not move with the pan and fades with its
scene, one caption size, caption boxes inside the safe caption band on every aspect, and word highlights."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from state import SpokenSentence, SpokenWord
from tests.tools.test_media_render import card, decode_planes, solid, soundtrack
from tools.errors import BadInput
from tools.images.fonts import font_for
from tools.images.safe_areas import safe_areas
from tools.media.caption_overlay import HIGHLIGHT_COLOUR, caption_at, lay_out_caption
from tools.media.layers import layer_patches
from tools.media.render import CAPTION_MODES, Segment, _Composer, render_video, rgb_to_yuv_planes
from tools.media.subtitles import Cue, CueWord, build_cues

FPS = 30
ASPECTS = [(216, 384), (384, 216), (240, 240)]
MARKERS = ((255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 255, 0))
GREY = (110, 110, 110)  # darker than the letters (yellow too), lighter than the caption box


def yuv_of(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A colour's limited-range Y, U, V as the renderer converts it."""
    y, u, v = rgb_to_yuv_planes(np.full((2, 2, 3), rgb, np.uint8))
    return int(y[0, 0]), int(u[0, 0]), int(v[0, 0])


def text_layer(path: Path, width: int, height: int, heading: str = "Heading 1 / 3") -> np.ndarray:
    """A frame-sized transparent layer: a heading and a bar in the header, a marker in each corner."""
    areas = safe_areas(width, height)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    header = areas.header
    draw.rectangle(
        (header.left, header.bottom - 4, header.right - 1, header.bottom - 1), fill=(255, 255, 255)
    )
    draw.text((header.left, header.top), heading, font=font_for(heading, header.height - 8), fill="white")
    side = max(8, width // 24)
    corners = ((0, 0), (width - side, 0), (0, height - side), (width - side, height - side))
    for (x, y), colour in zip(corners, MARKERS, strict=True):
        draw.rectangle((x, y, x + side - 1, y + side - 1), fill=colour)
    layer.save(path)
    return np.asarray(layer)


def opaque_inside(rgba: np.ndarray) -> np.ndarray:
    """The layer's fully opaque pixels away from its edges (where x264's ringing would touch them)."""
    opaque = (rgba[..., 3] == 255).astype(np.uint8)
    return cv2.erode(opaque, np.ones((3, 3), np.uint8)).astype(bool)


@pytest.mark.parametrize(("width", "height"), ASPECTS)
def test_a_text_layer_stays_put_while_the_picture_pans(tmp_path: Path, width: int, height: int) -> None:
    layer = text_layer(tmp_path / "layer.png", width, height)
    motion = "pan_up" if height > width else "pan_left"
    segment = Segment(card(tmp_path / "card.png", width, height, 2), 0.0, 1.0, motion, tmp_path / "layer.png")
    out = render_video(
        [segment], [], soundtrack(tmp_path / "st.wav", 1.0), tmp_path / "v.mp4", width, height, crf=4
    )
    frames = decode_planes(out)
    (y0, _, _), (y1, _, _) = frames[0], frames[-1]
    inside = opaque_inside(layer)
    clear = cv2.dilate((layer[..., 3] > 0).astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
    assert inside.sum() > 200
    # The background moved under the layer; the layer's own pixels did not.
    assert float(np.abs(y1 - y0)[clear].mean()) > 4.0
    assert float(np.abs(y1 - y0)[inside].mean()) < 1.0
    # Every marker is whole and in its corner, in the layer's colour, in both frames: nothing left the frame.
    side = max(8, width // 24)
    corners = ((0, 0), (width - side, 0), (0, height - side), (width - side, height - side))
    for (x, y), colour in zip(corners, MARKERS, strict=True):
        expected = yuv_of(colour)
        for luma, u, v in (frames[0], frames[-1]):
            assert abs(float(luma[y + 2 : y + side - 2, x + 2 : x + side - 2].mean()) - expected[0]) < 3
            cx, cy = (x + side // 2) // 2, (y + side // 2) // 2
            assert abs(int(u[cy, cx]) - expected[1]) < 6 and abs(int(v[cy, cx]) - expected[2]) < 6


def test_a_crossfade_shows_each_layer_at_its_scenes_weight(tmp_path: Path) -> None:
    width, height = 240, 240
    first = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(first).rectangle((20, 20, 99, 59), fill="white")
    first.save(tmp_path / "first.png")
    second = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(second).rectangle((140, 20, 219, 59), fill="white")
    second.save(tmp_path / "second.png")
    dark, light = (40, 40, 40), (120, 120, 120)
    segments = [
        Segment(solid(tmp_path / "a.png", width, height, dark), 0.0, 1.0, "zoom_in", tmp_path / "first.png"),
        Segment(
            solid(tmp_path / "b.png", width, height, light), 1.0, 1.0, "zoom_in", tmp_path / "second.png"
        ),
    ]
    audio = soundtrack(tmp_path / "st.wav", 2.0)
    frames = decode_planes(render_video(segments, [], audio, tmp_path / "v.mp4", width, height, crf=4))
    y_dark, y_light, y_white = yuv_of(dark)[0], yuv_of(light)[0], yuv_of((255, 255, 255))[0]
    assert float(frames[10][0][30:50, 30:90].mean()) == pytest.approx(y_white, abs=2)
    assert float(frames[10][0][30:50, 150:210].mean()) == pytest.approx(y_dark, abs=2)
    mixed = 0
    for luma, _, _ in frames[24:37]:
        # The picture's mix, read where neither layer draws, gives the second scene's weight.
        weight = (float(luma[150:200, 50:190].mean()) - y_dark) / (y_light - y_dark)
        left, right = float(luma[30:50, 30:90].mean()), float(luma[30:50, 150:210].mean())
        assert left == pytest.approx((1 - weight) * y_white + weight * y_light, abs=3)
        assert right == pytest.approx((1 - weight) * y_dark + weight * y_white, abs=3)
        mixed += 0.2 < weight < 0.8
    assert mixed >= 3, "some frames mix the two scenes"
    assert float(frames[50][0][30:50, 150:210].mean()) == pytest.approx(y_white, abs=2)


def test_at_most_the_two_visible_layers_are_held(tmp_path: Path) -> None:
    width, height = 216, 384
    segments = []
    for index in range(4):
        text_layer(tmp_path / f"layer{index}.png", width, height, f"Scene {index + 1} / 4")
        still = solid(tmp_path / f"s{index}.png", width, height, (60 * index, 90, 120))
        segments.append(Segment(still, 0.5 * index, 0.5, "pan_right", tmp_path / f"layer{index}.png"))
    composer = _Composer(segments, [], width, height, FPS, 0.4)
    most = 0
    for k in range(composer.n_frames):
        composer.frame(k)
        most = max(most, len(composer._layers))
    assert most == 2


def test_a_layer_is_kept_as_bands_of_its_drawn_rows() -> None:
    rgba = np.zeros((400, 300, 4), np.uint8)
    rgba[21:40, 31:270] = 255  # a header
    rgba[201:260, 101:150] = 255  # a figure in the middle
    patches = layer_patches(rgba)
    assert [(p.x, p.y, p.inv_y.shape) for p in patches] == [(30, 20, (20, 240)), (100, 200, (60, 50))]
    assert layer_patches(np.zeros((40, 40, 4), np.uint8)) == []


def test_missing_or_unreadable_layers_and_unknown_caption_modes_are_refused(tmp_path: Path) -> None:
    still = card(tmp_path / "card.png", 216, 384, 1)
    audio = soundtrack(tmp_path / "st.wav", 0.5)
    out = tmp_path / "out" / "v.mp4"
    with pytest.raises(BadInput, match="scene text layer not found: .*re-render the scene card"):
        render_video([Segment(still, 0, 0.5, "zoom_in", tmp_path / "none.png")], [], audio, out, 216, 384)
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    with pytest.raises(BadInput, match="cannot read scene text layer .*re-render the scene card"):
        render_video([Segment(still, 0, 0.5, "zoom_in", tmp_path / "broken.png")], [], audio, out, 216, 384)
    Image.new("RGBA", (300, 300)).save(tmp_path / "square.png")
    with pytest.raises(BadInput, match="is 300x300, not the video's 216x384"):
        render_video([Segment(still, 0, 0.5, "zoom_in", tmp_path / "square.png")], [], audio, out, 216, 384)
    with pytest.raises(BadInput, match="unknown captions 'karaoke'; use one of .*plain"):
        render_video([Segment(still, 0, 0.5, "zoom_in")], [], audio, out, 216, 384, captions="karaoke")
    assert sorted(CAPTION_MODES) == ["off", "plain", "words"]
    assert not out.exists()


def _caption_frames(
    tmp: Path, width: int, height: int, cues: list[Cue], at_s: float, captions: str = "plain"
) -> tuple[np.ndarray, ...]:
    """The planes at `at_s` with the cues and the luma without them, on a flat grey still."""
    still = solid(tmp / "grey.png", width, height, GREY)
    segments = [Segment(still, 0.0, 1.0, "zoom_in")]
    audio = soundtrack(tmp / "st.wav", 1.0)
    k = round(at_s * FPS)
    # Near-lossless, so x264's rate control cannot move pixels outside the caption between the two encodes.
    plain = decode_planes(render_video(segments, [], audio, tmp / "plain.mp4", width, height, crf=4))[k]
    shown = render_video(
        segments, cues, audio, tmp / f"{captions}.mp4", width, height, crf=4, captions=captions
    )
    y, u, v = decode_planes(shown)[k]
    return y, u, v, plain[0]


def _changed_box(with_cue: np.ndarray, without: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels the caption changed, right and bottom exclusive."""
    rows, cols = np.nonzero(np.abs(with_cue - without) > 20)
    assert rows.size > 100, "the caption is drawn"
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


@pytest.mark.parametrize(("width", "height"), ASPECTS)
def test_caption_boxes_sit_in_the_caption_band_clear_of_the_header(
    tmp_path: Path, width: int, height: int
) -> None:
    areas = safe_areas(width, height)
    n = areas.caption_max_chars
    words = "Coffee reached Venice in 1615 and spread to every port of Europe"
    two_lines = Cue(0.0, 1.0, (words[:n].rsplit(" ", 1)[0], words[n : 2 * n].strip().rsplit(" ", 1)[0]))
    too_wide = Cue(0.0, 1.0, ("W" * 12 + " " + "M" * 30,))
    band, header = areas.captions, areas.header
    for name, cue in (("two", two_lines), ("wide", too_wide)):
        (tmp_path / name).mkdir()
        y, _, _, plain = _caption_frames(tmp_path / name, width, height, [cue], 0.5)
        left, top, right, bottom = _changed_box(y, plain)
        assert band.left <= left and right <= band.right and band.top <= top and bottom <= band.bottom, name
        assert top >= header.bottom, name
        assert abs((left + right) / 2 - band.centre_x) <= 1.5, "centred on the band"
        assert bottom >= band.bottom - 2, "bottom-aligned to the band"


def test_the_caption_size_is_the_same_for_a_short_and_a_long_cue(tmp_path: Path) -> None:
    width, height = 540, 960
    areas = safe_areas(width, height)
    heights = []
    # The long line would have shrunk by a third to fit before captions had one size.
    for name, line in (("short", "HI THERE"), ("long", "THE HISTORY OF COFFEE")):
        (tmp_path / name).mkdir()
        cue = Cue(0.0, 1.0, (line,))
        assert lay_out_caption(cue, areas).font.size == areas.caption_font_px
        y, _, _, plain = _caption_frames(tmp_path / name, width, height, [cue], 0.5)
        # The letters' white fill: capitals only, so its height is the font's cap height.
        rows = np.nonzero(((y > 200) & (plain < 170)).any(axis=1))[0]
        heights.append(int(rows.max() - rows.min() + 1))
    assert heights[0] == heights[1]
    cap_height = -font_for("H", areas.caption_font_px).getbbox("H", anchor="ls")[1]
    assert abs(heights[0] - cap_height) <= 2


def _word_clusters(fill: np.ndarray, font_px: int) -> list[tuple[int, int]]:
    """Column spans of the words in a line's fill mask: split where a space is (wider than 0.3 em; the
    outlines leave about 0.17 em between two letters' fills)."""
    cols = np.nonzero(fill.any(axis=0))[0]
    spans, start = [], int(cols[0])
    for a, b in zip(cols[:-1], cols[1:], strict=True):
        if b - a > 0.3 * font_px:
            spans.append((start, int(a) + 1))
            start = int(b)
    spans.append((start, int(cols[-1]) + 1))
    return spans


def test_words_captions_colour_the_word_being_spoken_and_off_draws_none(tmp_path: Path) -> None:
    width, height = 540, 960
    words = (
        CueWord("ONE", 0.0, 0.3, 0, 0),
        CueWord("TWO", 0.35, 0.65, 0, 4),
        CueWord("SIX", 0.7, 1.0, 0, 8),
    )
    cue = Cue(0.0, 1.0, ("ONE TWO SIX",), words)
    font_px = safe_areas(width, height).caption_font_px
    _, yellow_u, yellow_v = yuv_of(HIGHLIGHT_COLOUR)
    for at_s, spoken in ((0.5, 1), (0.15, 0), (0.9, 2)):
        folder = tmp_path / f"at{at_s}"
        folder.mkdir()
        y, u, v, plain = _caption_frames(folder, width, height, [cue], at_s, "words")
        fill = (y > 170) & (plain < 170)
        spans = _word_clusters(fill, font_px)
        assert len(spans) == 3
        # Chroma is half size: a fill pixel's colour is its 2x2 block's.
        u_full = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)
        v_full = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)
        for index, (a, b) in enumerate(spans):
            word = fill[:, a:b]
            us, vs = u_full[:, a:b][word], v_full[:, a:b][word]
            if index == spoken:
                assert float(np.median(us)) < (128 + yellow_u) / 2, "the spoken word is yellow"
                assert float(np.median(vs)) > 128
            else:
                assert abs(float(np.median(us)) - 128) < 6 and abs(float(np.median(vs)) - 128) < 6
        # The highlight moves nothing: the letters are where the plain caption has them.
        if at_s == 0.5:
            (folder / "plain").mkdir()
            y_plain, u_plain, _, _ = _caption_frames(folder / "plain", width, height, [cue], at_s, "plain")
            plain_fill = (y_plain > 170) & (plain < 170)
            assert _word_clusters(plain_fill, font_px) == spans
            assert float((u_plain[fill[::2, ::2]] < 110).mean()) < 0.02, "plain captions are all white"
    # Between two words, or with no word timings, the cue is drawn plain.
    for name, at_s, shown in (("gap", 0.33, cue), ("untimed", 0.5, Cue(0.0, 1.0, cue.lines))):
        (tmp_path / name).mkdir()
        y, u, _, plain = _caption_frames(tmp_path / name, width, height, [shown], at_s, "words")
        fill = (y > 170) & (plain < 170)
        assert fill.sum() > 100 and float((u[fill[::2, ::2]] < 110).mean()) < 0.02, name
    (tmp_path / "off").mkdir()
    y, _, _, plain = _caption_frames(tmp_path / "off", width, height, [cue], 0.5, "off")
    assert int((np.abs(y - plain) > 20).sum()) == 0


@pytest.mark.parametrize(("width", "height"), ASPECTS)
def test_cues_from_build_cues_fit_one_page_with_every_word_in_place(width: int, height: int) -> None:
    areas = safe_areas(width, height)
    text = (
        "In 1937, on 27 May, the Golden Gate Bridge opened to 200,000 people walking across its 2.7 km deck."
    )
    timed = [SpokenWord(text=w, start_s=0.3 * i, end_s=0.3 * i + 0.25) for i, w in enumerate(text.split())]
    sentence = SpokenSentence(text=text, start_s=0.0, end_s=0.3 * len(timed), words=timed)
    cues = build_cues([(1.0, [sentence])], max_chars=areas.caption_max_chars, fits=areas.caption_fits)
    assert len(cues) > 1
    for cue in cues:
        layout = lay_out_caption(cue, areas)
        assert layout.pages == (cue.lines,)
        assert [(s.line, s.start) for s in layout.spots] == [(w.line, w.offset) for w in cue.words]
        for index, word in enumerate(cue.words):
            assert caption_at(layout, (word.start_s + word.end_s) / 2, True) == (0, index)
            assert caption_at(layout, (word.start_s + word.end_s) / 2, False) == (0, None)


def test_a_cue_too_long_for_the_band_is_shown_a_page_at_a_time_at_the_one_size() -> None:
    areas = safe_areas(216, 384)
    lines = ("Coffee houses in London were called penny universities",) * 2
    plain = lay_out_caption(Cue(0.0, 4.0, lines), areas)
    assert plain.font.size == areas.caption_font_px
    assert len(plain.pages) >= 2 and all(len(page) <= 2 for page in plain.pages)
    shown = [caption_at(plain, t / 10, True)[0] for t in range(40)]
    assert shown == sorted(shown) and shown[0] == 0 and shown[-1] == len(plain.pages) - 1
    # With word timings the page is the one holding the word being spoken.
    words, at = [], 0.0
    for index, line in enumerate(lines):
        offset = 0
        for word in line.split():
            words.append(CueWord(word, at, at + 0.1, index, offset))
            offset, at = offset + len(word) + 1, at + 0.2
    timed = lay_out_caption(Cue(0.0, at, lines, tuple(words)), areas)
    assert len(timed.spots) == len(words)
    for index, spot in enumerate(timed.spots):
        assert timed.pages[spot.page][spot.line][spot.start : spot.end] == words[index].text
        assert caption_at(timed, spot.start_s + 0.05, True) == (spot.page, index)


def test_a_layer_of_the_frames_aspect_but_another_size_is_scaled_to_the_frame(tmp_path: Path) -> None:
    width, height = 216, 384
    big = Image.new("RGBA", (2 * width, 2 * height), (0, 0, 0, 0))
    ImageDraw.Draw(big).rectangle((40, 40, 119, 79), fill=(255, 0, 0))
    big.save(tmp_path / "big.png")
    still = solid(tmp_path / "grey.png", width, height, GREY)
    segment = Segment(still, 0.0, 0.2, "zoom_in", tmp_path / "big.png")
    audio = soundtrack(tmp_path / "st.wav", 0.2)
    y, _, v = decode_planes(render_video([segment], [], audio, tmp_path / "v.mp4", width, height, crf=4))[0]
    red = yuv_of((255, 0, 0))
    assert float(y[22:38, 22:58].mean()) == pytest.approx(red[0], abs=3)
    assert float(v[11:19, 11:29].mean()) == pytest.approx(red[2], abs=4)
    assert float(y[44:60, 22:58].mean()) == pytest.approx(yuv_of(GREY)[0], abs=3)
