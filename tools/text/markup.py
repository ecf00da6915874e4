"""Remove markup that must never reach a card, a subtitle or a voice: tags, override blocks and escapes."""

from __future__ import annotations

import re

from state.requests import ASS_OVERRIDE, HTML_TAG

__all__ = ["strip_markup"]

# Code is not words: a closed <script> or <style> element goes with everything inside it (an open one
# loses only its tag, so prose that mentions "the <script> tag" keeps the words after it).
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Terminal escapes: CSI (colours, cursor moves) and OSC (titles, links) sequences, whole.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-_]")

# Control characters but the line break and the tab: whitespace ones become spaces, the rest go.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Format characters (Unicode's Cf): bidirectional controls, zero-width spaces and joiners, soft hyphens,
# the BOM, invisible operators and tag characters. They sit inside words, so they go without a space.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def strip_markup(text: str) -> str:
    """`text` without HTML tags, script/style code, ASS override blocks, terminal escapes or invisible marks.

    An ASS override block goes whole, digits included, or the "8" of {\\an8} ends up on the card. Only
    real HTML elements count as tags ("vector<int>" stays). Whitespace controls become spaces; other
    control characters, bidirectional overrides, zero-width spaces and soft hyphens are dropped, as they sit
    inside words. Line breaks stay.
    """
    text = _ANSI.sub("", text)
    text = ASS_OVERRIDE.sub(" ", text)
    text = _CODE_ELEMENT.sub(" ", text)
    text = _COMMENT.sub(" ", text)
    text = HTML_TAG.sub(" ", text)
    text = _CONTROL.sub(lambda found: " " if found.group(0).isspace() else "", text)
    return _INVISIBLE.sub("", text)
