"""Turn a raw topic into a clean subject, its core and a title; pick phrasings by a stable topic hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from tools.text.headlines import cap_first
from tools.text.markup import strip_markup
from tools.text.outline_phrases import FUNCTION_WORDS, STOPWORDS
from tools.text.quality import count_words, split_sentences

MAX_TITLE_CHARS = 70


def pick(options: Sequence[str], key: str, slot: str) -> str:
    """Choose a phrasing by a stable hash of the topic, so each topic reads the same every time."""
    digest = hashlib.sha256(f"{key}\x00{slot}".encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def clean_topic(topic: str) -> str:
    """Drop emoji, control characters and markup; keep letters of any script, digits and punctuation.

    Markup goes whole (an override tag such as {\\an8} leaves no "8"); the topic's own punctuation stays
    where it belongs to a word, so "../../etc/passwd" or ".NET" come out as written.
    """
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", strip_markup(topic)):
        category = unicodedata.category(char)
        # Emoji, their variation selectors and joiners, and markup symbols have no spoken or printable form.
        if category in ("So", "Sk", "Cs", "Co", "Cn", "Cc", "Cf") or "\ufe00" <= char <= "\ufe0f":
            kept.append(" ")
        elif char in "*_`<>[]{}|\\~^" or char == "\u20e3":
            kept.append(" ")
        else:
            kept.append(char)
    # A hashtag loses its '#', but "C#" keeps it.
    text = re.sub(r"(^|\s)#+(?=\w)", r"\1", "".join(kept))
    text = " ".join(text.replace(" #", " ").split())
    return trim_edges(text)


# Punctuation that decorates a topic's ends ("... and then?", "Coffee!!!") rather than belonging to it.
_EDGE = " .,;:!?-\u2013\u2014\"'\u201c\u201d\u2018\u2019\u2026"
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_LEAD_DECORATION = frozenset(",;:!?\u2026")


def trim_edges(text: str) -> str:
    """Strip decoration from both ends, but keep punctuation that is part of the first or last word.

    "... and then?" -> "and then"; "...and then" -> "and then"; "../../etc/passwd", ".NET", "-5 degrees"
    and '"Best" coffee' keep their leading marks, because they are attached to what follows.
    """
    text = text.strip()
    head = text.lstrip(_EDGE)
    lead = text[: len(text) - len(head)]
    if head and lead and not lead[-1].isspace():
        # The marks touch the first word: an ellipsis or "!?" is decoration, anything else the topic's own.
        ellipsis = set(lead) <= {".", "\u2026"} and (len(lead) >= 3 or "\u2026" in lead)
        if not (ellipsis or set(lead) <= _LEAD_DECORATION):
            head = text
    body = head.rstrip(_EDGE)
    tail = head[len(body) :]
    if body and tail:
        # A closing quote that has its opening one stays ('a coffee called "joe"').
        closing = next((char for char in tail if char in _QUOTES), "")
        opener = {"\u201d": "\u201c", "\u2019": "\u2018"}.get(closing, closing)
        balanced = closing in ('"', "'") and body.count(closing) % 2 == 1
        if closing and (balanced or (opener != closing and opener in body)):
            body += closing
        elif body[-1] in "/\\":
            body = head  # "x/..": the dots are a path's, not a sentence's
    return body


def subject_of(clean: str) -> str:
    """A short subject for use inside sentences: the topic's first clause, at most eight words."""
    if not clean:
        return "this topic"
    # A topic of several sentences ("Why do cats purr? Nobody agrees.") is about its first one.
    subject = split_sentences(clean)[0] if clean else clean
    if count_words(subject) > 8 or len(subject) > 60:
        for mark in (":", " - ", " \u2013 ", " \u2014 ", ";", "(", ","):
            head = subject.split(mark, 1)[0].strip()
            if 2 <= count_words(head) <= 8 and len(head) <= 60:
                subject = head
                break
        else:
            words = subject.split()[:8]
            while words and words[-1].lower() in STOPWORDS:
                words.pop()
            subject = " ".join(words) or subject.split()[0]
    subject = trim_edges(subject)
    first, _, rest = subject.partition(" ")
    # "The History of Coffee" reads "the History of Coffee" mid-sentence, and sentence-case "Black holes"
    # reads "black holes"; a lone name ("Rome") or a capitalised phrase ("Ancient Rome") keeps its capitals.
    sentence_case = bool(rest) and not any(word[:1].isupper() for word in rest.split())
    if first[:1].isupper() and not first.isupper() and (first.lower() in FUNCTION_WORDS or sentence_case):
        subject = (first.lower() + " " + rest).strip()
    return subject or "this topic"


def _short_title(clean: str, subject: str) -> str:
    """The topic as a title of at most 70 characters, cut at a clause or word boundary."""
    title = cap_first(clean or subject)
    if len(title) <= MAX_TITLE_CHARS:
        return title
    head = cap_first(subject)
    if len(head) <= MAX_TITLE_CHARS:
        return head
    cut = title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "\u2026"


def pick_title(key: str, clean: str, subject: str, templates: Sequence[str]) -> str:
    base = _short_title(clean, subject)
    template = pick(templates, key, "title")
    candidate = template.replace("{T}", base).replace("{t}", _lower_first(base))
    return candidate if len(candidate) <= MAX_TITLE_CHARS else base


def _lower_first(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first.lower() in FUNCTION_WORDS and not first.isupper():
        return (first.lower() + " " + rest).strip()
    return text


_FRAME_PREFIX = re.compile(
    r"^(?:the |a |an )?(?:(?:brief |short |quick )?(?:history|story|science|origins?|rise|basics|future|art"
    r"|economics|psychology|physics|chemistry|biology|culture|evolution) of|(?:an )?introduction to"
    r"|(?:a )?guide to)\s+",
    re.IGNORECASE,
)


def _core(subject: str) -> str:
    """The thing itself: "the history of coffee" -> "coffee", so that "where coffee comes from" reads well."""
    core = _FRAME_PREFIX.sub("", subject).strip()
    if not core or core.split(" ", 1)[0].lower() in ("how", "why", "what", "when", "where", "who", "which"):
        return "this topic"
    return core


def fill_in(template: str, subject: str) -> str:
    core = _core(subject)
    return template.replace("{S}", cap_first(subject)).replace("{s}", subject).replace("{c}", core)
