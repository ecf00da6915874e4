"""Where a line of text may break, in any script: at spaces, and between Chinese and Japanese characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

# Chinese and Japanese are written without spaces: a line may break between any two of these characters.
# Hangul is not among them; Korean puts spaces between words and breaks there.
_NO_SPACE_BLOCKS = (
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3100, 0x312F),  # bopomofo
    (0x3190, 0x31FF),  # kanbun, bopomofo extended, CJK strokes, katakana extensions
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)

# Kinsoku: these never start a line (closing marks, small kana, the prolonged sound mark) ...
_NO_LINE_START = frozenset(
    ",.:;!?)]}%\u00bb\u2019\u201d\u2026\u2025\u2014\u2013\u00b7"
    "\u3001\u3002\u3003\u3005\u3009\u300b\u300d\u300f\u3011\u3015\u3017\u3019\u301b\u301e\u301f\u303b"
    "\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e\u3095\u3096\u309d\u309e"
    "\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30f5\u30f6\u30fb\u30fc\u30fd\u30fe"
    "\u31f0\u31f1\u31f2\u31f3\u31f4\u31f5\u31f6\u31f7\u31f8\u31f9\u31fa\u31fb\u31fc\u31fd\u31fe\u31ff"
    "\uff01\uff05\uff09\uff0c\uff0e\uff1a\uff1b\uff1f\uff3d\uff5d\uff60\uff61\uff63\uff64\uff65\uff70"
)
# ... and these never end one (opening marks).
_NO_LINE_END = frozenset(
    "([{\u00ab\u2018\u201c"
    "\u3008\u300a\u300c\u300e\u3010\u3014\u3016\u3018\u301a\u301d"
    "\uff08\uff3b\uff5b\uff5f\uff62"
)


class Unit(NamedTuple):
    """The smallest piece a line may break between; `spaced` when a space separates it from the one before."""

    text: str
    spaced: bool


def breaks_anywhere(char: str) -> bool:
    """Whether char is Chinese or Japanese: written without spaces, so lines break between characters."""
    code = ord(char)
    return any(first <= code <= last for first, last in _NO_SPACE_BLOCKS)


def columns(text: str) -> int:
    """Display width in columns: wide and fullwidth characters count two, combining and format ones none."""
    if text.isascii():
        return len(text)  # no wide, combining or format characters below U+0080
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def units(text: str) -> list[Unit]:
    """Split text at every place a line may break: at whitespace, and around Chinese and Japanese characters.

    Kinsoku rules keep closing punctuation and small kana with the character before, and opening
    punctuation with the character after, so no line starts with "。" or ends with "「".
    """
    if all(ord(char) < _NO_SPACE_BLOCKS[0][0] for char in text):
        # Nothing to break between: only spaces split it (the common case, so kept fast).
        return [Unit(word, index > 0) for index, word in enumerate(text.split())]
    found: list[Unit] = []
    current = ""
    spaced = gap = False
    for char in text:
        if char.isspace():
            if current:
                found.append(Unit(current, spaced))
                current = ""
            gap = True
            continue
        if not current:
            current, spaced, gap = char, gap and bool(found), False
            continue
        previous = current[-1]
        glued = char in _NO_LINE_START or previous in _NO_LINE_END
        if not glued and (breaks_anywhere(previous) or breaks_anywhere(char)):
            found.append(Unit(current, spaced))
            current, spaced = char, False
        else:
            current += char
    if current:
        found.append(Unit(current, spaced))
    return found


def join(pieces: Iterable[Unit]) -> str:
    """One line of units: a space only where the source text had one, never at the start."""
    line = ""
    for unit in pieces:
        line += f" {unit.text}" if line and unit.spaced else unit.text
    return line


def join_lines(lines: Iterable[str]) -> str:
    """Lines back into running text: a space between lines, except next to Chinese or Japanese characters."""
    text = ""
    for line in lines:
        if text and line and not (breaks_anywhere(text[-1]) or breaks_anywhere(line[0])):
            text += " "
        text += line
    return text
