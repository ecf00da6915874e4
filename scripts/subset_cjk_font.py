"""Build the shipped CJK font: Noto Sans CJK SC Bold cut down to the characters in common use.

Run once, with fontTools (`pip install fonttools`) and Debian's fonts-noto-cjk installed:

    .venv/bin/python scripts/subset_cjk_font.py [SOURCE.ttc|SOURCE.otf] [FONT_NUMBER]

The default source is /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc, whose font 2 is the
Simplified Chinese cut; upstream's NotoSansCJKsc-Bold.otf works too (font number 0). The result replaces
tools/media/fonts/NotoSansCJKsc-Bold-subset.otf; commit it with LICENSE-NotoSansCJK.txt beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tools" / "media" / "fonts" / "NotoSansCJKsc-Bold-subset.otf"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
SOURCE_FONT_NUMBER = 2  # JP, KR, SC, TC, HK, then the Mono cuts

# Whole blocks, kept wherever the source font has a glyph.
BLOCKS = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1
    (0x0100, 0x017F),  # Latin Extended-A
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x045F),  # Cyrillic
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # Currency Symbols
    (0x2100, 0x218F),  # Letterlike Symbols, Number Forms
    (0x2190, 0x21FF),  # Arrows
    (0x2460, 0x24FF),  # Enclosed Alphanumerics
    (0x2500, 0x25FF),  # Box Drawing, Block Elements, Geometric Shapes
    (0x2600, 0x26FF),  # Miscellaneous Symbols (monochrome)
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0xAC00, 0xD7A3),  # all 11,172 modern Hangul syllables
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
)


def _decoded(codec: str, leads: range, trails: range) -> set[str]:
    """Every character a double-byte codec maps the given lead and trail bytes to."""
    found: set[str] = set()
    for lead in leads:
        for trail in trails:
            try:
                found.update(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return found


def characters() -> set[str]:
    """The subset: the blocks above, GB 2312 level 1 hanzi, JIS X 0208 level 1 kanji and their symbols."""
    chars = {chr(code) for first, last in BLOCKS for code in range(first, last + 1)}
    trails = range(0xA1, 0xFF)
    chars |= _decoded("gb2312", range(0xA1, 0xAA), trails)  # GB 2312 rows 1-9: symbols, kana, Greek...
    chars |= _decoded("gb2312", range(0xB0, 0xD8), trails)  # GB 2312 level 1: 3,755 common hanzi
    chars |= _decoded("euc_jp", range(0xA1, 0xA9), trails)  # JIS X 0208 rows 1-8: symbols
    chars |= _decoded("euc_jp", range(0xB0, 0xD0), trails)  # JIS X 0208 level 1: 2,965 common kanji
    return chars


def main(argv: list[str]) -> int:
    """Write the subset font and print how many characters it covers and its size."""
    source = Path(argv[1]) if len(argv) > 1 else SOURCE
    number = int(argv[2]) if len(argv) > 2 else (SOURCE_FONT_NUMBER if source.suffix == ".ttc" else 0)
    options = subset.Options()
    options.font_number = number
    options.name_IDs = ["*"]  # keep the copyright, licence and trademark records
    options.notdef_outline = True
    options.hinting = False
    # Cards and captions are laid out horizontally; vertical metrics only add size.
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]
    font = subset.load_font(str(source), options)
    wanted = characters()
    cmap = font.getBestCmap()
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(char) for char in wanted))
    subsetter.subset(font)
    subset.save_font(font, str(OUT), options)
    covered = sum(1 for char in wanted if ord(char) in cmap)
    print(f"{OUT.name}: {covered} characters, {OUT.stat().st_size / 1_000_000:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
