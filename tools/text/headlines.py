"""Read a sentence for what it says: names, numbers, headlines, tags and how informative it is."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.text.outline_phrases import FUNCTION_WORDS, STOPWORDS
from tools.text.quality import count_words, normalise_text

MAX_HEADLINE_WORDS = 6
MAX_HEADLINE_CHARS = 40

_VERBISH = frozenset(
    "is are was were be been being has have had can could will would may might must shall should do does "
    "did says said became become becomes began begins remains remained makes made produces produced "
    "contains contained includes included uses used helps helped grew grows spread spreads took takes came "
    "comes went goes brought brings opened opens reached reaches that which who whose where when while "
    "because although and or but".split()
)
_NUMBER = re.compile(
    r"(?<![\w.,])[$\u20ac\u00a3]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:st|nd|rd|th|s)?"
    r"(?:\s?%|\s(?:percent|per cent))?(?!\w)"
)
_JOINERS = frozenset({"of", "de", "da", "del", "von", "van"})
_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}")
_HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "st", "mt", "sr", "jr", "gen", "col", "capt", "lt", "rev"}
)
_YEAR = re.compile(r"(1\d{3}|20\d{2})s?")
_UNITS_AFTER_NUMBER = 4


def cap_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def informativeness(sentence: str) -> float:
    """How much a sentence tells: numbers, dates and names count most, then length."""
    score = 0.0
    if re.search(r"\d", sentence):
        score += 2.0
    score += 0.6 * min(_proper_count(sentence), 3)
    score += min(count_words(sentence), 30) / 30
    return score


def _proper_count(sentence: str) -> int:
    words = re.findall(r"[\w'\u2019-]+", sentence)
    return sum(1 for word in words[1:] if word[:1].isupper() and word != "I")


def _words_of(text: str) -> list[str]:
    return re.findall(r"[^\s]+", text)


def _strip_token(token: str) -> str:
    return token.strip("\"'\u201c\u201d\u2018\u2019()[]{}.,;:!?")


def _proper_phrases(sentence: str) -> list[str]:
    """Runs of capitalised words ("Ottoman Empire", "Republic of Yemen"), skipping a lone sentence opener."""
    phrases: list[str] = []
    current: list[str] = []
    start = 0

    def close() -> None:
        while current and current[-1].lower() in _JOINERS:
            current.pop()
        words = list(current)
        if words and start == 0:
            # The first word is capitalised anyway: keep it only as part of a longer name.
            if words[0].lower() in STOPWORDS:
                words = words[1:]
            elif len(words) == 1:
                words = []
        if words:
            phrases.append(" ".join(words))
        current.clear()

    for position, raw in enumerate(sentence.split()):
        word = _strip_token(raw)
        if word.endswith(("'s", "\u2019s")):
            word = word[:-2]
        bare = raw.strip("\"'\u201c\u201d\u2018\u2019()[],;:!?")
        # "U.S." and "Dr." keep their dots and do not end the name.
        dotted = bool(_DOTTED.fullmatch(bare)) or (bare.endswith(".") and word.lower() in _HONORIFICS)
        if dotted:
            word = bare
        capital = word[:1].isupper() and word != "I"
        if capital or (current and word.lower() in _JOINERS):
            if not current:
                start = position
            current.append(word)
        else:
            close()
        if raw[-1:] in ",.;:!?)" and not (dotted and raw[-1:] == "."):
            close()
    close()
    return phrases


def _lead_phrase(sentence: str) -> str:
    """The sentence's opening noun phrase: its first words up to the verb, at most four."""
    words: list[str] = []
    for raw in _words_of(sentence):
        word = _strip_token(raw)
        lower = word.lower()
        if not words and (lower in STOPWORDS or not word):
            continue
        if lower in _VERBISH or (words and lower.endswith("ed") and len(lower) > 4):
            break
        words.append(word)
        if raw[-1:] in ",;:.!?" or len(words) == 4:
            break
    while words and words[-1].lower() in STOPWORDS:
        words.pop()
    return " ".join(words)


def _number_phrase(text: str) -> str:
    """The first number in a text with the few words after it ("3.5 million tonnes of coffee")."""
    match = _NUMBER.search(text)
    if not match:
        return ""
    number = match.group(0).strip()
    after: list[str] = []
    for raw in _words_of(text[match.end() :]):
        word = _strip_token(raw)
        lower = word.lower()
        # The unit ends at the verb: "1500 tonnes were shipped" -> "1500 tonnes".
        if not word or lower in _VERBISH or (lower.endswith("ed") and len(lower) > 4):
            break
        after.append(word)
        if raw[-1:] in ",;:.!?)" or len(after) == _UNITS_AFTER_NUMBER:
            break
    while after and after[-1].lower() in STOPWORDS:
        after.pop()
    return " ".join([number, *after])


def headline_options(sentence: str) -> list[str]:
    """On-screen headlines for one fact, best first: a number phrase, a year with a name, names, lead."""
    options: list[str] = []
    proper = _proper_phrases(sentence)
    lead = _lead_phrase(sentence)
    match = _NUMBER.search(sentence)
    if match:
        number = match.group(0).strip()
        rest = sentence[match.end() :]
        following = _strip_token(rest.split(None, 1)[0]) if rest.strip() else ""
        # "in 1615, ..." or "in 1615 Venetian ..." is a year; "1500 tonnes" is a quantity.
        year = _YEAR.fullmatch(number) and (
            not following
            or not rest[:1].isspace()
            or following[0].isupper()
            or following.lower() in STOPWORDS
        )
        if year:
            label = next((name for name in proper if number not in name), lead)
            if label:
                options.append(f"{number}: {label}")
            options.append(number)
        else:
            phrase = _number_phrase(sentence)
            label = next((name for name in proper if number not in name), "")
            if label and len(phrase.split()) <= 2:
                # "15th century: Yemen" says more than "15th century".
                options.append(f"{phrase}: {label}")
            options.append(phrase)
    options.extend(proper)
    if lead:
        options.append(lead)
    return [_fit_headline(option) for option in options if option]


def _fit_headline(text: str) -> str:
    """Trim a headline to at most six words and forty characters, at a word boundary."""
    text = " ".join(text.split()).strip("\"'\u201c\u201d\u2018\u2019()[]{},;:!? ")
    last = text.rsplit(" ", 1)[-1]
    if text.endswith(".") and not (_DOTTED.fullmatch(last) or last[:-1].lower() in _HONORIFICS):
        text = text.rstrip(".")
    words = text.split()[:MAX_HEADLINE_WORDS]
    while words and len(" ".join(words)) > MAX_HEADLINE_CHARS:
        words.pop()
    if len(words) < len(text.split()):
        # Only a cut headline can end on a dangling "of" or "the"; "Where it comes from" is whole.
        while len(words) > 1 and words[-1].lower() in STOPWORDS:
            words.pop()
    if not words:
        return text[:MAX_HEADLINE_CHARS].strip()
    return cap_first(" ".join(words).rstrip(",;:-"))


def unique_headline(options: Sequence[str], used: set[str], position: int) -> str:
    """The first option no earlier scene shows; a numbered fallback keeps every scene's text distinct."""
    for option in options:
        fitted = _fit_headline(option)
        if fitted and normalise_text(fitted) and normalise_text(fitted) not in used:
            used.add(normalise_text(fitted))
            return fitted
    base = _fit_headline(options[0]) if options else ""
    for suffix in (", continued", ", part two", ", part three"):
        candidate = f"{' '.join(base.split()[: MAX_HEADLINE_WORDS - 2])}{suffix}" if base else ""
        if candidate and len(candidate) <= MAX_HEADLINE_CHARS and normalise_text(candidate) not in used:
            used.add(normalise_text(candidate))
            return candidate
    fallback = f"Scene {position}"
    used.add(normalise_text(fallback))
    return fallback


_GENERIC_TAG_WORDS = frozenset(
    "thing things people year years time times part way ways many most more first last century centuries "
    "today history".split()
)
_FILLER_TAGS = (
    "explainer",
    "short video",
    "learn something new",
    "education",
    "did you know",
    "curiosity",
    "quick guide",
)


def topic_tags(subject: str, texts: list[str]) -> list[str]:
    """5-10 lowercase tags: the subject, its words, then names and words the facts repeat."""
    tags: list[str] = []

    def add(raw: str) -> None:
        tag = " ".join(re.sub(r"[^\w\s'-]", " ", raw.lower().replace("#", " ")).split()).strip("'-")
        if 2 <= len(tag) <= 30 and tag not in tags and len(tags) < 10:
            tags.append(tag)

    words = subject.split()
    while words and words[0].lower() in FUNCTION_WORDS:
        words = words[1:]
    if 1 < len(words) <= 4:
        add(" ".join(words))
    for word in words:
        bare = _strip_token(word)
        if len(bare) >= 3 and bare.lower() not in STOPWORDS:
            add(bare)
    counts: dict[str, int] = {}
    for text in texts:
        for name in _proper_phrases(text):
            counts[name.lower()] = counts.get(name.lower(), 0) + 2
        for word in normalise_text(text).split():
            if len(word) >= 5 and word.isalpha() and word not in STOPWORDS and word not in _GENERIC_TAG_WORDS:
                counts[word] = counts.get(word, 0) + 1
    for word, _ in sorted(counts.items(), key=lambda item: -item[1]):
        if len(tags) >= 8:
            break
        add(word)
    for filler in _FILLER_TAGS:
        if len(tags) >= 5:
            break
        if filler == "did you know" and not texts:
            continue
        add(filler)
    return tags
