"""German sentence boundaries: the full stops that do not end a German sentence.

German writes a full stop after abbreviations ("bzw.", "Nr. 5", "35 Mio. US-Dollar"), inside spaced ones
("z. B.", "u. a.", "d. h.", "v. Chr.") and after ordinal numbers ("am 27. Mai 1937", "im 19. Jahrhundert",
"der 2. Weltkrieg"); the next word is capitalised in each case, so a capital alone does not mark a new
sentence as it does in English.
"""

from __future__ import annotations

import re

# Abbreviations that never end a sentence in running text. "usw.", "etc." and "Chr." often do, so they
# are left out: a sentence ending in one of them still ends there.
ABBREVIATIONS = frozenset(
    {
        "abb",
        "abs",
        "anm",
        "bd",
        "bde",
        "bspw",
        "bzw",
        "ca",
        "co",
        "dipl",
        "dr",
        "dt",
        "ehem",
        "engl",
        "evtl",
        "fn",
        "franz",
        "geb",
        "gegr",
        "gem",
        "gest",
        "ggf",
        "griech",
        "hl",
        "hrsg",
        "ing",
        "inkl",
        "insb",
        "ital",
        "jh",
        "jhd",
        "kap",
        "lat",
        "mind",
        "mio",
        "mrd",
        "nr",
        "prof",
        "sog",
        "st",
        "str",
        "tab",
        "tsd",
        "verh",
        "vgl",
        "zzgl",
        # Written without spaces.
        "z.b",
        "u.a",
        "d.h",
        "o.ä",
        "u.ä",
        "v.a",
        "s.o",
        "s.u",
        "z.t",
        "i.d.r",
        "u.u",
    }
)
# Abbreviations only before a number: "Art. 5" is an article of a law, "eine seltene Art. Sie" ends.
NUMBER_ABBREVIATIONS = frozenset({"art", "bl", "h", "s", "sp", "vers"})
_MONTHS = frozenset(
    {
        "januar",
        "jänner",
        "februar",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
        "jan",
        "feb",
        "febr",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "nov",
        "dez",
    }
)
# Nouns an ordinal number comes before ("im 19. Jahrhundert").
_ORDINAL_NOUNS = frozenset({"jahrhundert", "jahrhunderts", "jahrtausend", "jahrtausends", "jh", "jhd"})
# Words that put an ordinal before a capitalised noun: "der 2. Weltkrieg", "im 88. Lebensjahr". Words such
# as "bis" and "seit" are left out: "seit 1990. Die …" ends a sentence.
_ORDINAL_LEADS = frozenset(
    {
        "am",
        "im",
        "vom",
        "zum",
        "zur",
        "beim",
        "der",
        "die",
        "das",
        "des",
        "dem",
        "den",
        "ihr",
        "ihre",
        "ihrem",
        "ihren",
        "ihres",
        "ihrer",
        "sein",
        "seine",
        "seinem",
        "seinen",
        "seines",
        "seiner",
        "jeder",
        "jedes",
        "jedem",
        "jeden",
    }
)
_OPENERS = "\"'\u201c\u201e\u2018\u201a(\u00bb\u00ab\u203a\u2039["
_FIRST_WORD = re.compile(r"[^\W\d_]+\.?")


def full_stop_continues(before: str, after: str) -> bool:
    """True when a full stop followed by a capital or a digit still belongs to the sentence.

    `before` is the text up to the full stop, `after` the text after it and its space (a few words of
    each suffice).
    """
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip(_OPENERS).lower()
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    if word in NUMBER_ABBREVIATIONS:
        return after.lstrip()[:1].isdigit()
    # A single letter is an initial ("Joseph B. Strauss") or part of a spaced abbreviation ("z. B.").
    if len(word) == 1 and word.isalpha():
        return True
    if word.isdigit() and len(word) <= 4:
        return _is_ordinal(words[-2].lower() if len(words) > 1 else "", after)
    return False


def _is_ordinal(lead: str, after: str) -> bool:
    """True when a number with a full stop is an ordinal: a date, a century, or after an article."""
    match = _FIRST_WORD.match(after.lstrip(_OPENERS))
    following = match.group(0).rstrip(".").lower() if match else ""
    if following in _MONTHS or following in _ORDINAL_NOUNS:
        return True
    return lead.lstrip(_OPENERS) in _ORDINAL_LEADS
