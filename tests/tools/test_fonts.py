"""Shipped fonts: CJK text draws real glyphs on cards and captions, wraps in its box, and gaps are named."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.images import card_parts, cards, fonts
from tools.images.fonts import (
    BOLD_FONT,
    CJK_FONT,
    REGULAR_FONT,
    drawable_lines,
    drawable_text,
    font_for,
    missing_glyphs,
    wrap_text,
)
from tools.images.safe_areas import safe_areas
from tools.media import caption_overlay, render
from tools.media.caption_overlay import draw_caption, lay_out_caption
from tools.media.subtitles import Cue

# Pairs of titles with the same number of characters: drawn as empty boxes, each pair would look the same.
TITLES = {
    "zh": ("蜜蜂如何酿造蜂蜜", "咖啡豆的漫长旅程"),
    "ja": ("ミツバチの一生", "コーヒーの歴史"),
    "ko": ("꿀벌의 하루", "커피의 역사"),
}
NOT_A_CHARACTER = "\U0010fffd"  # mapped by no font, so it draws the .notdef box


def _dejavu(text: str, size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """What the renderers used before: DejaVu for everything, so CJK text became boxes."""
    return ImageFont.truetype(str(BOLD_FONT if bold else REGULAR_FONT), size)


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    """One character drawn white on black."""
    size = int(font.size)
    image = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 2), char, font=font, fill=255)
    return np.asarray(image, dtype=np.int16)


@pytest.mark.parametrize("language", sorted(TITLES))
def test_every_cjk_character_gets_a_real_glyph_not_the_notdef_box(language: str) -> None:
    text = "".join(TITLES[language]).replace(" ", "")
    font = font_for(text, 40)
    assert Path(font.path) == CJK_FONT
    notdef = _glyph(font, NOT_A_CHARACTER)
    for char in text:
        assert np.abs(_glyph(font, char) - notdef).mean() > 2, char
    # The check can see tofu: DejaVu draws these characters as its own .notdef box.
    dejavu = _dejavu(text, 40)
    dejavu_notdef = _glyph(dejavu, NOT_A_CHARACTER)
    assert all(np.array_equal(_glyph(dejavu, char), dejavu_notdef) for char in text)


def test_font_for_prefers_dejavu_and_falls_back_to_the_cjk_font() -> None:
    assert Path(font_for("Bees make honey", 30).path) == BOLD_FONT
    assert Path(font_for("Bees make honey", 30, bold=False).path) == REGULAR_FONT
    assert Path(font_for("Bees 蜜蜂", 30, bold=False).path) == CJK_FONT
    assert Path(font_for("ミツバチ", 30).path) == CJK_FONT
    assert font_for("蜜蜂", 30) is font_for("蜂蜜", 30)  # cached per font and size


def test_missing_glyphs_names_what_no_font_can_draw() -> None:
    assert missing_glyphs("bees 🐝 蜜蜂") == "🐝"
    assert missing_glyphs("Bees make honey, 3.5 kg at 93°C — café naïve") == ""
    for first, second in TITLES.values():
        assert missing_glyphs(f"{first} {second}。「」、！") == ""
    # Once each, in order; whitespace, joiners and variation selectors are never reported.
    assert missing_glyphs("🚀 launch 🐝\u200d🐝 \u2615\ufe0f\t\n🚀") == "🚀🐝"
    assert missing_glyphs("") == ""
    # DejaVu has the cup but no hanzi, the CJK font the reverse: text needing both loses the cup.
    assert missing_glyphs("Coffee \u2615 咖啡") == "\u2615"


def test_drawn_text_leaves_out_exactly_what_is_reported() -> None:
    assert drawable_text("🚀🔥 Launch  day 🐝\u200d蜜蜂\ufe0f") == "Launch day 蜜蜂"
    # Lines are judged together, so one font draws the whole caption.
    assert drawable_lines(["Bees 🐝", "蜜蜂"]) == ["Bees", "蜜蜂"]


def test_coverage_matches_fonttools() -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    for path in (BOLD_FONT, REGULAR_FONT, CJK_FONT):
        font = ttlib.TTFont(str(path), lazy=True)
        notdef = font.getGlyphOrder()[0]
        expected = {code for code, glyph in font.getBestCmap().items() if glyph != notdef}
        assert fonts._coverage(path) == expected, path.name


def test_the_cjk_font_covers_the_common_characters() -> None:
    covered = fonts._coverage(CJK_FONT)
    gb2312_level1 = bytes(range(0xB0, 0xD8))  # lead bytes; trail bytes 0xA1-0xFE
    hanzi = {
        char
        for lead in gb2312_level1
        for trail in range(0xA1, 0xFF)
        for char in bytes((lead, trail)).decode("gb2312", errors="ignore")
    }
    assert len(hanzi) == 3755
    assert all(ord(char) in covered for char in hanzi)
    assert all(code in covered for code in range(0xAC00, 0xD7A4))  # every modern Hangul syllable
    assert all(code in covered for code in range(0x3041, 0x3097))  # hiragana
    assert all(code in covered for code in range(0x30A1, 0x30FB))  # katakana
    assert CJK_FONT.stat().st_size < 5_000_000
    licence = (CJK_FONT.parent / "LICENSE-NotoSansCJK.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence


def _card(path: Path, title: str, width: int = 360, height: int = 640) -> np.ndarray:
    cards.render_card(
        title=title,
        on_screen_text="",
        narration="",
        index=1,
        count=3,
        style="bold",
        width=width,
        height=height,
        out_path=path,
        overlay_path=path.with_name(f"text-{path.name}"),
        kind="title",
    )
    # What a viewer sees: the card's text layer over its background.
    with Image.open(path) as background, Image.open(path.with_name(f"text-{path.name}")) as text:
        seen = background.convert("RGBA")
        seen.alpha_composite(text)
        return np.asarray(seen.convert("RGB")).astype(np.int16)


@pytest.mark.parametrize("language", sorted(TITLES))
def test_cjk_titles_are_drawn_on_cards_not_tofu(tmp_path: Path, monkeypatch, language: str) -> None:
    first, second = TITLES[language]
    real = [_text_mask(_card(tmp_path / f"real-{n}.png", title)) for n, title in enumerate((first, second))]
    monkeypatch.setattr(card_parts, "font_for", _dejavu)
    tofu = [_text_mask(_card(tmp_path / f"tofu-{n}.png", title)) for n, title in enumerate((first, second))]
    # Boxes all look alike, so two titles of the same length draw the same pixels; real glyphs differ.
    assert (tofu[0] != tofu[1]).mean() < 0.002
    assert (real[0] != real[1]).mean() > 0.01
    assert (real[0] != tofu[0]).mean() > 0.01


def _text_mask(pixels: np.ndarray) -> np.ndarray:
    """Where the headline's white text is ("bold" palettes all have white text; backgrounds differ)."""
    return np.all(pixels[int(640 * 0.15) : int(640 * 0.78)] > 215, axis=-1)


def test_a_long_chinese_title_wraps_inside_the_card(tmp_path: Path) -> None:
    title = "蜜蜂如何酿造蜂蜜：从花朵到蜂巢的漫长旅程，以及它们在寒冷的冬天里如何一起生存下来"
    width, height = 360, 640
    pixels = _card(tmp_path / "long.png", title, width, height)
    palette = cards.palette_for("bold", 1, title)
    text = np.all(np.abs(pixels - np.array(palette.text)) < 40, axis=-1)
    rows, cols = np.nonzero(text[: int(height * 0.8)])
    assert rows.size > 2000
    content = safe_areas(width, height).content
    assert cols.min() >= content.left and cols.max() < content.right
    # It wraps at a readable size instead of shrinking to the smallest one, and no line starts with "，".
    box = content.width
    font, lines, _ = card_parts.fit(title, True, 46, 12, box, 400, 6)
    assert len(lines) > 2 and int(font.size) > 12
    assert all(font.getlength(line) <= box for line in lines)
    assert not any(line.startswith(("，", "：")) for line in lines)


def test_wrapping_breaks_between_cjk_characters_never_inside_latin_words() -> None:
    font = font_for("我们喜欢用Python编程和JavaScript开发网站应用", 30)
    lines = wrap_text("我们喜欢用Python编程和JavaScript开发网站应用", font, 160)
    assert len(lines) > 2
    assert "".join(lines) == "我们喜欢用Python编程和JavaScript开发网站应用"
    assert any("Python" in line for line in lines) and any("JavaScript" in line for line in lines)
    assert wrap_text("꿀벌은 꽃에서 꿀을 모읍니다", font, 200) == ["꿀벌은 꽃에서", "꿀을 모읍니다"]


def test_captions_draw_cjk_glyphs_not_tofu(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = "ミツバチは花の蜜を集めます", "蜂蜜は甘くておいしい食べ物"
    assert len(first) == len(second)

    def luma(line: str) -> np.ndarray:
        layout = lay_out_caption(Cue(0.0, 1.0, (line,)), safe_areas(360, 640))
        return draw_caption(layout, 0)[0][..., 0].astype(np.int32)

    real = luma(first), luma(second)
    monkeypatch.setattr(caption_overlay, "font_for", _dejavu)
    tofu = luma(first), luma(second)
    assert np.array_equal(tofu[0], tofu[1])
    assert real[0].shape == real[1].shape
    assert np.abs(real[0] - real[1]).mean() > 20


def test_a_caption_line_too_long_for_the_frame_wraps_instead_of_overflowing() -> None:
    line = "蜜蜂是一种会飞行的群居昆虫，它们在花朵之间飞来飞去采集花蜜并把它酿成蜂蜜" * 3
    areas = safe_areas(1080, 1920)
    layout = lay_out_caption(Cue(0.0, 1.0, (line,)), areas)
    # Wrapped at the video's one caption size, never shrunk, and shown a band-full of lines at a time.
    assert layout.font.size == areas.caption_font_px
    assert len(layout.pages) > 1 and all(1 <= len(page) <= 2 for page in layout.pages)
    assert "".join(text for page in layout.pages for text in page) == line
    for page in range(len(layout.pages)):
        rgba, left, top = draw_caption(layout, page)
        box_h, box_w = rgba.shape[:2]
        band = areas.captions
        assert band.left <= left and left + box_w <= band.right
        assert band.top <= top and top + box_h == band.bottom
        # The white text keeps clear of the box's sides: nothing is cut off.
        _, cols = np.nonzero(rgba[..., 0] > 150)
        assert cols.size > 0 and cols.min() >= areas.caption_pad_x // 2
        assert cols.max() < box_w - areas.caption_pad_x // 2


def test_a_chinese_caption_appears_in_the_video(tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (360, 640), (40, 90, 160)).save(still)
    audio = tmp_path / "a.wav"
    with wave.open(str(audio), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(48000)
        handle.writeframes(bytes(4 * 4800))
    segments = [render.Segment(still, 0.0, 2 / 30, "zoom_in")]
    cues = [Cue(0.0, 1.0, ("蜜蜂在花朵之间飞来飞去，", "采集花蜜。"))]
    frames = []
    for name, shown in (("plain.mp4", []), ("captioned.mp4", cues)):
        video = render.render_video(segments, shown, audio, tmp_path / name, 360, 640, crf=4)
        with av.open(str(video)) as container:
            frames.append(next(container.decode(video=0)).to_ndarray(format="gray").astype(np.int16))
    changed = np.abs(frames[1] - frames[0]) > 40
    rows, cols = np.nonzero(changed)
    band = safe_areas(360, 640).captions
    assert rows.size > 1500
    assert (rows.min(), cols.min()) >= (band.top, band.left)
    assert (rows.max(), cols.max()) < (band.bottom, band.right)


def test_a_card_without_on_screen_text_opens_cjk_narration_with_a_few_words() -> None:
    assert cards._opening("Venetian merchants brought coffee to Europe in the seventeenth century.") == (
        "Venetian merchants brought coffee to Europe in the"
    )
    assert cards._opening("蜜蜂是一种会飞行的群居昆虫，属于膜翅目，它们在花朵之间飞来飞去。") == (
        "蜜蜂是一种会飞行的群居昆虫，属于"
    )
