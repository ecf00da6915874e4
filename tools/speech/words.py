"""Word timings from known word starts: fill in the words no engine placed, end each where the next begins."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from state.artifacts import SpokenWord


def place_words(text: str, starts: Sequence[float | None], start_s: float, end_s: float) -> list[SpokenWord]:
    """Time every whitespace-separated word of `text` from `starts` (one per word, None where unknown).

    The sentence runs from `start_s` to `end_s`, which is also its last word's end. A start that is unknown,
    out of order or outside the sentence is placed by characters: a run of such words shares the span from
    the previous placed word's start to the next known start with that previous word, the one whose sound
    ran over theirs. Each word ends where the next begins, so the words cover the sentence without gaps.
    """
    words = text.split()
    if len(starts) != len(words):
        raise ValueError(f"{len(starts)} word starts for {len(words)} words")
    if not words:
        return []
    end_s = max(end_s, start_s)
    first = starts[0]
    known: list[float | None] = [first if first is not None and start_s <= first < end_s else start_s]
    floor = known[0]
    assert floor is not None
    for start in starts[1:]:
        if start is not None and floor < start < end_s:
            known.append(start)
            floor = start
        else:
            known.append(None)

    placed: list[float] = []
    index = 0
    while index < len(words):
        start = known[index]
        if start is not None:
            placed.append(start)
            index += 1
            continue
        run_end = index
        while run_end < len(words) and known[run_end] is None:
            run_end += 1
        following = known[run_end] if run_end < len(words) else None
        right = end_s if following is None else following
        left = placed[-1]
        weights = [len(word) + 1 for word in words[index - 1 : run_end]]
        total = sum(weights)
        placed += [left + (right - left) * share / total for share in accumulate(weights[:-1])]
        index = run_end

    timed: list[SpokenWord] = []
    for index, word in enumerate(words):
        begin = placed[index]
        end = placed[index + 1] if index + 1 < len(words) else end_s
        timed.append(
            {"text": word, "start_s": round(float(begin), 3), "end_s": round(float(max(end, begin)), 3)}
        )
    return timed


def spread_words(text: str, start_s: float, end_s: float) -> list[SpokenWord]:
    """Time the words of `text` in proportion to their length over `start_s`..`end_s` (no engine timing)."""
    return place_words(text, [None] * len(text.split()), start_s, end_s)
