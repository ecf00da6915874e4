"""Repair a script against the quality gate's problems without rewriting its good scenes."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from state import Script
from tools.text.headlines import headline_options, informativeness, unique_headline
from tools.text.outline_phrases import FILLERS, MAX_SCENES, MIN_SCENES
from tools.text.quality import count_words, normalise_text, split_sentences, word_limits


class _Work(NamedTuple):
    sentences: list[str]
    on_screen_text: str
    visual: str
    sources: list[str]


_LIMIT_PATTERNS = {
    "min_scenes": re.compile(r"^too_few_scenes:.*at least (\d+)"),
    "max_scenes": re.compile(r"^too_many_scenes:.*at most (\d+)"),
    "max_words": re.compile(r"^too_many_words:.*at most (\d+)"),
    "min_words": re.compile(r"^too_few_words:.*at least (\d+)"),
}


def revise_script(script: Script, problems: list[str], duration_s: int, words_per_second: float) -> Script:
    """Repair a script against the gate's problems: empty and repeated scenes, scene count, word count."""
    min_words, max_words = word_limits(duration_s, words_per_second)
    min_scenes, max_scenes = MIN_SCENES, MAX_SCENES
    for problem in problems:
        for name, pattern in _LIMIT_PATTERNS.items():
            found = pattern.match(problem.strip())
            if not found:
                continue
            value = int(found.group(1))
            if name == "min_scenes":
                min_scenes = value
            elif name == "max_scenes":
                max_scenes = value
            elif name == "max_words":
                max_words = min(max_words, value)
            else:
                min_words = max(min_words, value)
    max_scenes = max(max_scenes, min_scenes)

    hook = " ".join(str(script.get("hook", "")).split())
    cta = " ".join(str(script.get("call_to_action", "")).split())
    key = normalise_text(str(script.get("title", "")))

    work = _to_work(script)
    for _ in range(3):
        # One pass normally suffices; a second catches what one repair did to another (a split, then a trim).
        work = _fill_or_drop_empty(work)
        work = _drop_duplicates(work, hook, cta)
        work = _merge_scenes(work, max_scenes)
        work = _split_scenes(work, min_scenes, key, hook, cta)
        work = _trim_words(work, max_words, min_scenes, hook, cta)
        work = _pad_words(work, min_words, max_words, cta)
        work = _distinct_headlines(work)
        if _settled(work, min_scenes, max_scenes, min_words, max_words):
            break

    revised = script.copy()
    revised["scenes"] = [
        {
            "index": position,
            "narration": " ".join(scene.sentences),
            "on_screen_text": scene.on_screen_text,
            "visual": scene.visual,
            "sources": list(scene.sources),
        }
        for position, scene in enumerate(work, start=1)
    ]
    # A citation goes only when the scenes that used its source went; one no scene named stays.
    before = {source for scene in script.get("scenes", []) for source in scene.get("sources", [])}
    after = {source for scene in work for source in scene.sources}
    revised["citations"] = [
        citation
        for citation in script.get("citations", [])
        if citation.get("source") in after or citation.get("source") not in before
    ]
    return revised


def _to_work(script: Script) -> list[_Work]:
    return [
        _Work(
            split_sentences(str(scene.get("narration", ""))),
            " ".join(str(scene.get("on_screen_text", "")).split()),
            str(scene.get("visual", "")),
            list(scene.get("sources", [])),
        )
        for scene in script.get("scenes", [])
    ]


def _has_words(sentences: list[str]) -> bool:
    return bool(normalise_text(" ".join(sentences)))


def _fill_or_drop_empty(work: list[_Work]) -> list[_Work]:
    """An empty scene speaks its own on-screen text when it has one; otherwise it goes."""
    spoken = {normalise_text(" ".join(scene.sentences)) for scene in work}
    kept: list[_Work] = []
    for scene in work:
        if _has_words(scene.sentences):
            kept.append(scene)
            continue
        text = scene.on_screen_text.strip()
        if count_words(text) >= 2 and normalise_text(text) not in spoken:
            sentence = text if text[-1] in ".!?" else text + "."
            spoken.add(normalise_text(sentence))
            kept.append(scene._replace(sentences=[sentence]))
    return kept


def _drop_duplicates(work: list[_Work], hook: str, cta: str) -> list[_Work]:
    """A sentence said before goes, and so does a scene left with nothing new to say."""
    protected: dict[tuple[int, int], str] = {}
    for position, scene in enumerate(work):
        lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
        for index in [*range(lead), *range(len(scene.sentences) - trail, len(scene.sentences))]:
            protected[(position, index)] = normalise_text(scene.sentences[index])
    # The hook and the call to action stay where they belong; their copies elsewhere are the repeats.
    seen = set(protected.values())
    kept: list[_Work] = []
    for position, scene in enumerate(work):
        sentences: list[str] = []
        for index, sentence in enumerate(scene.sentences):
            key = normalise_text(sentence)
            if (position, index) in protected:
                sentences.append(sentence)
            elif key and key not in seen:
                seen.add(key)
                sentences.append(sentence)
        if _has_words(sentences):
            kept.append(scene._replace(sentences=sentences))
    return kept


def _settled(work: list[_Work], min_scenes: int, max_scenes: int, min_words: int, max_words: int) -> bool:
    """True when the working scenes meet every limit the gate checks."""
    words = sum(count_words(" ".join(scene.sentences)) for scene in work)
    narrations = [normalise_text(" ".join(scene.sentences)) for scene in work]
    headlines = [normalise_text(scene.on_screen_text) for scene in work]
    return (
        min_scenes <= len(work) <= max_scenes
        and min_words <= words <= max_words
        and all(narrations)
        and len(set(narrations)) == len(narrations)
        and len(set(headlines)) == len(headlines)
    )


def _protected(position: int, count: int, sentences: list[str], hook: str, cta: str) -> tuple[int, int]:
    """How many leading (hook) and trailing (call to action) sentences of a scene must stay where they are."""
    lead = trail = 0
    if position == 0 and hook:
        hook_parts = split_sentences(hook)
        if sentences[: len(hook_parts)] == hook_parts:
            lead = len(hook_parts)
    if position == count - 1 and cta:
        cta_parts = split_sentences(cta)
        if len(sentences) > lead and sentences[-len(cta_parts) :] == cta_parts:
            trail = len(cta_parts)
    return lead, trail


def _merge_scenes(work: list[_Work], max_scenes: int) -> list[_Work]:
    """Merge the shortest neighbouring pair until the count fits; the first headline stays."""
    work = list(work)
    while len(work) > max_scenes:
        best = min(
            range(len(work) - 1),
            key=lambda i: (
                count_words(" ".join(work[i].sentences + work[i + 1].sentences)),
                work[i].sources != work[i + 1].sources,
                i,
            ),
        )
        first, second = work[best], work[best + 1]
        merged = first._replace(
            sentences=first.sentences + second.sentences,
            sources=list(dict.fromkeys(first.sources + second.sources)),
        )
        work[best : best + 2] = [merged]
    return work


def _split_scenes(work: list[_Work], min_scenes: int, key: str, hook: str, cta: str) -> list[_Work]:
    """Split the longest scenes until the count fits; add guidance scenes when none can split."""
    work = list(work)
    fillers = iter(FILLERS[int.from_bytes(hashlib.sha256(key.encode()).digest()[:1], "big") % 3 :] + FILLERS)
    used_headlines = {normalise_text(scene.on_screen_text) for scene in work}
    while len(work) < min_scenes:
        best, best_count, best_lead = -1, 1, 0
        for position, scene in enumerate(work):
            # Only a scene's own sentences split; the hook and the call to action stay with their halves.
            lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
            own = len(scene.sentences) - lead - trail
            if own > best_count:
                best, best_count, best_lead = position, own, lead
        if best >= 0:
            scene = work[best]
            cut = best_lead + (best_count + 1) // 2
            head, tail = scene.sentences[:cut], scene.sentences[cut:]
            options = [option for text in tail for option in headline_options(text)]
            headline = unique_headline(options or [scene.on_screen_text], used_headlines, best + 2)
            second = _Work(tail, headline, f"Title card: {headline}", list(scene.sources))
            work[best : best + 1] = [scene._replace(sentences=head), second]
            continue
        spoken = {normalise_text(" ".join(scene.sentences)) for scene in work}
        for headline, sentence in fillers:
            if normalise_text(sentence) not in spoken and normalise_text(headline) not in used_headlines:
                break
        else:
            break
        used_headlines.add(normalise_text(headline))
        filler = _Work([sentence], headline, f"Title card: {headline}", [])
        # Before the last scene, so that the call to action still closes the video.
        work.insert(max(0, len(work) - 1), filler)
    return work


def _trim_words(work: list[_Work], max_words: int, min_scenes: int, hook: str, cta: str) -> list[_Work]:
    """Drop the least informative sentences (never the hook or the call to action) until the words fit."""
    work = [scene._replace(sentences=list(scene.sentences)) for scene in work]

    def total() -> int:
        return sum(count_words(" ".join(scene.sentences)) for scene in work)

    while total() > max_words:
        candidates: list[tuple[float, int, int, int]] = []
        for position, scene in enumerate(work):
            lead, trail = _protected(position, len(work), scene.sentences, hook, cta)
            removable = range(lead, len(scene.sentences) - trail)
            # A scene keeps at least one sentence of its own beside the hook or the call to action.
            if len(removable) <= 1:
                continue
            for index in removable:
                sentence = scene.sentences[index]
                candidates.append((informativeness(sentence), -count_words(sentence), position, index))
        if candidates:
            _, _, position, index = min(candidates)
            del work[position].sentences[index]
            continue
        if len(work) > min_scenes:
            # Every scene is down to one sentence: drop the least informative middle scene.
            middle = range(1, len(work) - 1) if len(work) > 2 else range(len(work))
            weakest = min(middle, key=lambda i: (informativeness(" ".join(work[i].sentences)), -i))
            del work[weakest]
            continue
        break
    return work


def _pad_words(work: list[_Work], min_words: int, max_words: int, cta: str) -> list[_Work]:
    """Add claim-free guidance lines to the shortest scenes until the narration reaches the floor."""
    work = [scene._replace(sentences=list(scene.sentences)) for scene in work]
    spoken = {normalise_text(s) for scene in work for s in scene.sentences}
    lines = [sentence for _, sentence in FILLERS if normalise_text(sentence) not in spoken]
    total = sum(count_words(" ".join(scene.sentences)) for scene in work)
    while total < min_words and lines and work:
        line = lines.pop(0)
        if total + count_words(line) > max_words:
            break
        position = min(range(len(work)), key=lambda i: (len(work[i].sentences), i))
        sentences = work[position].sentences
        cta_parts = split_sentences(cta) if cta else []
        at = len(sentences)
        if position == len(work) - 1 and cta_parts and sentences[-len(cta_parts) :] == cta_parts:
            at -= len(cta_parts)
        sentences.insert(at, line)
        total += count_words(line)
    return work


def _distinct_headlines(work: list[_Work]) -> list[_Work]:
    """Give every scene a non-empty on-screen text that no other scene shows."""
    used: set[str] = set()
    result: list[_Work] = []
    for position, scene in enumerate(work, start=1):
        key = normalise_text(scene.on_screen_text)
        if key and key not in used:
            used.add(key)
            result.append(scene)
            continue
        options = [option for text in scene.sentences for option in headline_options(text)]
        if scene.on_screen_text:
            options.append(scene.on_screen_text)
        headline = unique_headline(options, used, position)
        visual = scene.visual or f"Title card: {headline}"
        result.append(scene._replace(on_screen_text=headline, visual=visual))
    return result
