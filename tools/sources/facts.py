"""Pick the sentences of a source worth citing: informative, distinct, and quoted verbatim."""

from __future__ import annotations

import re

from state import Fact
from tools.text.quality import count_words, normalise_text, split_sentences

# Sentences that are page furniture, not statements about the topic. Matched against the lowercased
# sentence from word starts only: a case-insensitive search from every position is eight times slower.
_BOILERPLATE = re.compile(
    r"\b(?:click (here|the (link|button))|subscribe (now|today|to (our|my|the))"
    r"|please subscribe|hit subscribe"
    r"|sign (up|in) (now|today|for|to)|log ?in to|our newsletter"
    r"|(use|uses|accept|allow|enable) (all )?cookies"
    r"|cookie (policy|settings|notice|preferences|consent)|privacy (policy|notice)"
    r"|terms (of|and) (use|service|conditions)|all rights reserved|follow us|share (this|on)"
    r"|skip to (main )?content|back to top|related (posts|articles|stories)|leave a (comment|reply)"
    r"|(posted|published) (by|on)\b|last updated|table of contents|buy now|add to (cart|basket)"
    r"|free (trial|shipping)|javascript|your browser|(this|our) (web)?site|advertisement|sponsored"
    r"|you (might|may) also like|read more|download (our|the) app|in this (article|post|video))"
)
_URLISH = re.compile(r"https?://|www\.|\w@\w[\w.-]*\.\w|\u00a9")
_LETTER = re.compile(r"[^\W\d_]")
_PERSONAL = re.compile(r"\b(I|I'm|I've|we|we're|our|you|your|you're)\b", re.IGNORECASE)
_STOPWORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his in into is it its of on or she "
    "that the their them they this to was were which who will with".split()
)


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text; a short unpunctuated line (a heading) never runs into the next line."""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in block.split("\n"):
            line = line.strip()
            if not line:
                continue
            current.append(line)
            if count_words(line) <= 6 and line[-1] not in ".,;:!?-\u2014":
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


def _is_fact_sentence(sentence: str) -> bool:
    """An informative declarative sentence: 8-40 words, ends with a full stop, no page furniture."""
    words = count_words(sentence)
    if not 8 <= words <= 40:
        return False
    body = sentence.rstrip("\"'\u201d\u2019)] ")
    if not body.endswith(".") or body.endswith(".."):
        return False
    first = sentence.lstrip("\"'\u201c\u2018(")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    if _BOILERPLATE.search(sentence.lower()) or _URLISH.search(sentence):
        return False
    visible = len(sentence) - sum(sentence.count(space) for space in " \u00a0\t")
    # Code, tables and lists of figures are mostly symbols.
    return len(_LETTER.findall(sentence)) >= 0.65 * visible


def _content_words(text: str) -> set[str]:
    return {word for word in normalise_text(text).split() if word not in _STOPWORDS}


def _proper_nouns(sentence: str) -> int:
    words = re.findall(r"[\w'\u2019-]+", sentence)
    return sum(1 for word in words[1:] if word[:1].isupper() and word != "I")


def _fact_score(sentence: str, title_words: set[str]) -> float:
    """Rank lightly: numbers, dates, names and the title's words make a sentence worth more."""
    score = 1.0
    if re.search(r"\d", sentence):
        score += 1.5
    score += 0.5 * min(_proper_nouns(sentence), 3)
    score += 0.5 * min(len(_content_words(sentence) & title_words), 2)
    if 12 <= count_words(sentence) <= 30:
        score += 0.5
    if _PERSONAL.search(sentence):
        score -= 1.0
    return score


def _near_duplicate(words: set[str], kept: list[set[str]]) -> bool:
    for other in kept:
        union = words | other
        if union and len(words & other) / len(union) >= 0.8:
            return True
    return False


def extract_facts(title: str, text: str, source: str, limit: int = 40, lang: str = "en") -> list[Fact]:
    """Pick up to `limit` informative, distinct sentences from a source, in document order.

    `lang` is the text's language, for where its sentences end ("z. B." does not end a German one).
    """
    if limit <= 0:
        return []
    candidates: list[str] = []
    seen: set[str] = set()
    for paragraph in _paragraphs(text):
        for sentence in split_sentences(paragraph, lang):
            key = normalise_text(sentence)
            if key in seen or not _is_fact_sentence(sentence):
                continue
            seen.add(key)
            candidates.append(sentence)

    title_words = _content_words(title)
    scores = [_fact_score(sentence, title_words) for sentence in candidates]
    by_score = sorted(range(len(candidates)), key=lambda position: (-scores[position], position))
    # Near-duplicate checks are quadratic, so only the best few times `limit` are compared.
    pool = sorted(by_score[: limit * 3])
    kept_words: list[set[str]] = []
    distinct: list[int] = []
    for position in pool:
        words = _content_words(candidates[position])
        if _near_duplicate(words, kept_words):
            continue
        kept_words.append(words)
        distinct.append(position)
    chosen = sorted(sorted(distinct, key=lambda position: (-scores[position], position))[:limit])
    return [{"text": candidates[position], "source": source} for position in chosen]
