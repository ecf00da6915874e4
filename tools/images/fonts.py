"""The shipped fonts: pick one that can draw a text, and name the characters none of them can draw."""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from tools.errors import ToolUnavailable
from tools.text.line_breaks import Unit, columns, join, units

FONTS_DIR = Path(__file__).resolve().parent.parent / "media" / "fonts"
BOLD_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"
REGULAR_FONT = FONTS_DIR / "DejaVuSans.ttf"
# One weight only: CJK text is drawn bold everywhere (see LICENSE-NotoSansCJK.txt for what it covers).
CJK_FONT = FONTS_DIR / "NotoSansCJKsc-Bold-subset.otf"


def font_paths(bold: bool = True) -> tuple[Path, ...]:
    """The shipped fonts in order of preference: DejaVu Sans (bold, or regular then bold), then the CJK font.

    Regular falls back to bold before CJK, so text cleaned for bold is always drawable in regular too.
    """
    return (BOLD_FONT, CJK_FONT) if bold else (REGULAR_FONT, BOLD_FONT, CJK_FONT)


def font_for(text: str, size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    """The first shipped font at `size` that draws every character of text (else the one drawing the most)."""
    return _load(_choose(_visible(text), bold), size)


def missing_glyphs(text: str, bold: bool = True) -> str:
    """The characters of text that `font_for(text, ...)` cannot draw, once each, in order of appearance.

    These are characters no shipped font has (emoji, rare hanzi), and, in text mixing scripts that no
    single font covers, the ones the chosen font lacks. Whitespace and invisible characters are never listed.
    """
    chars = _visible(text)
    covered = _coverage(_choose(chars, bold))
    return "".join(char for char in chars if ord(char) not in covered)


def drawable_text(text: str, bold: bool = True) -> str:
    """Text as `font_for` draws it: invisible characters dropped, undrawable ones (emoji) made spaces.

    Runs of whitespace become one space and the ends are trimmed; report `missing_glyphs` of the original.
    """
    return drawable_lines([text], bold)[0]


def drawable_lines(lines: Sequence[str], bold: bool = True) -> list[str]:
    """Each line as `drawable_text` makes it, judged together: one font, chosen for all lines, draws them."""
    normal = [unicodedata.normalize("NFC", line) for line in lines]
    missing = set(missing_glyphs("\n".join(normal), bold))
    cleaned = []
    for line in normal:
        kept = ("" if _invisible(char) else " " if char in missing else char for char in line)
        cleaned.append(" ".join("".join(kept).split()))
    return cleaned


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy wrap to max_width pixels at spaces and between Chinese or Japanese characters.

    A piece wider than a line is broken between characters, with a hyphen only inside a narrow-script word.
    """
    lines: list[str] = []
    current: list[Unit] = []
    for unit in units(text):
        if font.getlength(join([*current, unit])) <= max_width:
            current.append(unit)
            continue
        if current:
            lines.append(join(current))
        piece = unit.text
        while font.getlength(piece) > max_width and len(piece) > 1:
            cut = len(piece) - 1
            while cut > 1 and font.getlength(_head(piece, cut)) > max_width:
                cut -= 1
            lines.append(_head(piece, cut))
            piece = piece[cut:]
        current = [Unit(piece, False)]
    if current:
        lines.append(join(current))
    return lines


def _head(piece: str, cut: int) -> str:
    """The first `cut` characters of piece, hyphenated when the cut falls between two narrow characters."""
    narrow = columns(piece[cut - 1]) == 1 and columns(piece[cut]) == 1
    return piece[:cut] + "-" if narrow else piece[:cut]


def _invisible(char: str) -> bool:
    """Format characters and variation selectors: they change how neighbours look but have no glyph."""
    code = ord(char)
    return unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _visible(text: str) -> str:
    """The distinct characters of text that need a glyph, in order of appearance."""
    seen: dict[str, None] = {}
    for char in unicodedata.normalize("NFC", text):
        if char.isspace() or unicodedata.category(char) == "Cc" or _invisible(char):
            continue
        seen.setdefault(char, None)
    return "".join(seen)


def _choose(chars: str, bold: bool) -> Path:
    """The first font covering every character, else the one covering the most (earlier wins ties)."""
    best, best_count = font_paths(bold)[0], -1
    for path in font_paths(bold):
        covered = _coverage(path)
        count = sum(1 for char in chars if ord(char) in covered)
        if count == len(chars):
            return path
        if count > best_count:
            best, best_count = path, count
    return best


@lru_cache(maxsize=128)
def _load(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """Open a shipped font at a size, once."""
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        raise ToolUnavailable(f"shipped font {path} cannot be loaded; reinstall reelforge") from None


@lru_cache(maxsize=8)
def _coverage(path: Path) -> frozenset[int]:
    """The code points a font maps to a real glyph, read from its Unicode cmap as FreeType would pick it."""
    try:
        return _read_cmap(path.read_bytes())
    except (OSError, struct.error, ValueError):
        raise ToolUnavailable(f"shipped font {path} cannot be read; reinstall reelforge") from None


def _read_cmap(data: bytes) -> frozenset[int]:
    """Parse an OpenType font's Unicode cmap: the full-repertoire format 12 if present, else format 4."""
    num_tables = struct.unpack_from(">H", data, 4)[0]
    cmap = None
    for index in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        if tag == b"cmap":
            cmap = offset
    if cmap is None:
        raise ValueError("font has no cmap table")
    subtables: dict[int, int] = {}
    for index in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * index)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            start = cmap + offset
            subtables.setdefault(struct.unpack_from(">H", data, start)[0], start)
    if 12 in subtables:
        return _format12(data, subtables[12])
    if 4 in subtables:
        return _format4(data, subtables[4])
    raise ValueError("font has no Unicode cmap of format 4 or 12")


def _format4(data: bytes, start: int) -> frozenset[int]:
    """Code points of a format 4 (BMP segment) cmap subtable that map to a glyph other than .notdef."""
    segments = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, start + 14)
    starts = struct.unpack_from(f">{segments}H", data, start + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, start + 16 + 4 * segments)
    range_offsets_at = start + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", data, range_offsets_at)
    codes: set[int] = set()
    for k in range(segments):
        for code in range(starts[k], ends[k] + 1):
            if code == 0xFFFF:
                continue
            if range_offsets[k] == 0:
                glyph = (code + deltas[k]) & 0xFFFF
            else:
                # The offset is relative to the idRangeOffset entry itself, as the spec defines it.
                at = range_offsets_at + 2 * k + range_offsets[k] + 2 * (code - starts[k])
                glyph = struct.unpack_from(">H", data, at)[0]
                glyph = (glyph + deltas[k]) & 0xFFFF if glyph else 0
            if glyph:
                codes.add(code)
    return frozenset(codes)


def _format12(data: bytes, start: int) -> frozenset[int]:
    """Code points of a format 12 (segmented coverage) cmap subtable that map to a glyph, not .notdef."""
    groups = struct.unpack_from(">I", data, start + 12)[0]
    codes: set[int] = set()
    for k in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * k)
        codes.update(range(first + (glyph == 0), last + 1))
    return frozenset(codes)
