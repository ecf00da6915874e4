"""Subtitle cues from timed narration: chunking, balanced line wrapping and SRT output."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from state import SpokenSentence
from tools.files import atomic_path

# A break right after these reads naturally, so the chunker and the wrapper prefer it.
_SOFT_BREAK_AFTER = (",", ";", ":", "—", "–", ".", "!", "?")
_PUNCT_BONUS = 0.08


@dataclass(frozen=True)
class Cue:
    """One subtitle: 1..max_lines lines shown from start_s to end_s on the video timeline."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The cue's lines joined by spaces."""
        return " ".join(self.lines)


def build_cues(
    spoken: list[tuple[float, list[SpokenSentence]]],
    max_chars: int = 42,
    max_lines: int = 2,
    bridge_gap_s: float = 0.25,
) -> list[Cue]:
    """Turn per-clip timed sentences into ordered, non-overlapping cues of at most max_lines x max_chars."""
    if max_chars < 1 or max_lines < 1:
        raise ValueError("max_chars and max_lines must be positive")
    raw: list[Cue] = []
    for offset, sentences in spoken:
        for sentence in sentences:
            words = _words(sentence["text"], max_chars)
            if not words:
                continue
            start = float(offset) + float(sentence["start_s"])
            end = max(start, float(offset) + float(sentence["end_s"]))
            raw.extend(_sentence_cues(words, start, end, max_chars, max_lines))
    return _tidy(raw, bridge_gap_s)


def wrap_lines(text: str, max_chars: int = 42) -> tuple[str, ...]:
    """Wrap text at word boundaries into the fewest balanced lines of at most max_chars."""
    words = _words(text, max_chars)
    if not words:
        return ()
    return _wrap(words, max_chars)


def write_srt(cues: list[Cue], path: Path) -> Path:
    """Write cues as a UTF-8 SRT file, atomically."""
    blocks = []
    for index, cue in enumerate(cues, start=1):
        timing = f"{_srt_time(cue.start_s)} --> {_srt_time(cue.end_s)}"
        blocks.append(f"{index}\n{timing}\n" + "\n".join(cue.lines) + "\n")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _srt_time(seconds: float) -> str:
    """Format seconds as HH:MM:SS,mmm."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def _words(text: str, max_chars: int) -> list[str]:
    """Split on whitespace, hard-splitting any word longer than a line."""
    words: list[str] = []
    for word in text.split():
        while len(word) > max_chars:
            words.append(word[:max_chars])
            word = word[max_chars:]
        if word:
            words.append(word)
    return words


def _joined_len(words: Sequence[str]) -> int:
    """Length of the words joined by single spaces."""
    return sum(len(w) for w in words) + max(0, len(words) - 1)


def _greedy_line_count(words: Sequence[str], max_chars: int) -> int:
    """Fewest lines the words fit in (greedy filling is optimal for this)."""
    lines, width = 1, -1
    for word in words:
        if width + 1 + len(word) <= max_chars:
            width += 1 + len(word)
        else:
            lines, width = lines + 1, len(word)
    return lines


def _prefix(words: Sequence[str]) -> list[int]:
    """Prefix sums of word lengths, so a run's joined length is O(1)."""
    sums = [0]
    for word in words:
        sums.append(sums[-1] + len(word))
    return sums


def _partition(
    words: Sequence[str], parts: int, max_len: int, cost: Callable[[int, int, int], float]
) -> list[tuple[int, int]]:
    """Split words into `parts` runs no longer than max_len, minimising cost minus clause-break bonuses."""
    n = len(words)
    sums = _prefix(words)
    inf = math.inf
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    back = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for j in range(k, n + 1):
            bonus = _PUNCT_BONUS if j < n and words[j - 1].endswith(_SOFT_BREAK_AFTER) else 0.0
            for i in range(j - 1, k - 2, -1):
                length = sums[j] - sums[i] + (j - i - 1)
                if length > max_len:
                    break  # runs only grow as i moves left
                if best[k - 1][i] == inf:
                    continue
                c = cost(i, j, length)
                if best[k - 1][i] + c - bonus < best[k][j]:
                    best[k][j], back[k][j] = best[k - 1][i] + c - bonus, i
    if best[parts][n] == inf:
        raise AssertionError("no feasible partition; the greedy count should have guaranteed one")
    runs: list[tuple[int, int]] = []
    j = n
    for k in range(parts, 0, -1):
        i = back[k][j]
        runs.append((i, j))
        j = i
    return runs[::-1]


def _wrap(words: Sequence[str], max_chars: int) -> tuple[str, ...]:
    """Balanced wrap into the fewest lines; a bottom-heavy split wins ties, as broadcasters prefer."""
    count = _greedy_line_count(words, max_chars)
    if count == 1:
        return (" ".join(words),)
    target = _joined_len(words) / count

    def cost(i: int, j: int, length: int) -> float:
        # Squared deviation keeps lines even; the tiny tilt puts the longer line at the bottom.
        return ((length - target) / max_chars) ** 2 + (0.001 * length / max_chars if i == 0 else 0.0)

    return tuple(" ".join(words[i:j]) for i, j in _partition(words, count, max_chars, cost))


def _sentence_cues(words: list[str], start: float, end: float, max_chars: int, max_lines: int) -> list[Cue]:
    """Split one sentence into chunks that each fit a cue, timing them by character share."""
    fits = _greedy_line_count(words, max_chars) <= max_lines
    chunks = [words] if fits else _chunk(words, max_chars, max_lines)
    weights = [_joined_len(chunk) for chunk in chunks]
    total = float(sum(weights))
    cues: list[Cue] = []
    cursor = 0.0
    for chunk, weight in zip(chunks, weights, strict=True):
        chunk_start = start + (end - start) * cursor / total
        cursor += weight
        chunk_end = start + (end - start) * cursor / total
        cues.append(Cue(chunk_start, chunk_end, _wrap(chunk, max_chars)))
    return cues


def _chunk(words: list[str], max_chars: int, max_lines: int) -> list[list[str]]:
    """Split words into the fewest chunks that each fit max_lines, with even lengths."""
    # Greedy packing gives the minimum chunk count; the partition then evens the chunk lengths out.
    count, i = 0, 0
    while i < len(words):
        j = i + 1
        while j < len(words) and _greedy_line_count(words[i : j + 1], max_chars) <= max_lines:
            j += 1
        count, i = count + 1, j
    target = _joined_len(words) / count
    capacity = max_lines * (max_chars + 1)

    def cost(i: int, j: int, length: int) -> float:
        if _greedy_line_count(words[i:j], max_chars) > max_lines:
            return math.inf
        return ((length - target) / max_chars) ** 2

    return [words[i:j] for i, j in _partition(words, count, capacity, cost)]


def _tidy(cues: list[Cue], bridge_gap_s: float) -> list[Cue]:
    """Sort cues, trim overlaps, close flicker-sized gaps and drop cues left with no time."""
    ordered = sorted(cues, key=lambda c: (c.start_s, c.end_s))
    out: list[Cue] = []
    for index, cue in enumerate(ordered):
        end = cue.end_s
        if index + 1 < len(ordered):
            nxt = ordered[index + 1].start_s
            # A gap shorter than a blink makes the caption flash off and on again.
            end = nxt if end > nxt or nxt - end < bridge_gap_s else end
        if end - cue.start_s >= 0.001:
            out.append(Cue(cue.start_s, end, cue.lines))
    return out
