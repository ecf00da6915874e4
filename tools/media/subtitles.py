"""Subtitle cues from timed narration: chunking, balanced line wrapping and SRT output, in any script."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from state import SpokenSentence
from tools.files import atomic_path
from tools.text.line_breaks import Unit, columns, join, join_lines, units

# A break right after these reads naturally, so the chunker and the wrapper prefer it.
_SOFT_BREAK_AFTER = (",", ";", ":", "—", "–", ".", "!", "?", "、", "。", "，", "；", "：", "！", "？")
_PUNCT_BONUS = 0.08


class _Word(NamedTuple):
    """A piece a line may break after: a word, or one Chinese or Japanese character; width in columns."""

    text: str
    width: int
    spaced: bool


@dataclass(frozen=True)
class Cue:
    """One subtitle: 1..max_lines lines shown from start_s to end_s on the video timeline."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The cue's lines as running text: joined by spaces, except next to Chinese or Japanese text."""
        return join_lines(self.lines)


def build_cues(
    spoken: list[tuple[float, list[SpokenSentence]]],
    max_chars: int = 42,
    max_lines: int = 2,
    bridge_gap_s: float = 0.25,
) -> list[Cue]:
    """Turn per-clip timed sentences into ordered, non-overlapping cues of at most max_lines x max_chars.

    Lengths are display columns: a Chinese, Japanese or Korean character counts two, so a line holds at
    most 21 of them. Text without spaces breaks between Chinese and Japanese characters.
    """
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
    """Wrap text at word boundaries (or between Chinese and Japanese characters) into balanced lines.

    Each line is at most max_chars columns wide; lines are as few as possible.
    """
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


def _words(text: str, max_chars: int) -> list[_Word]:
    """Split where a line may break, hard-splitting any piece wider than a line."""
    words: list[_Word] = []
    for unit in units(text):
        piece, spaced = "", unit.spaced
        for char in unit.text:
            if piece and columns(piece + char) > max_chars:
                words.append(_Word(piece, columns(piece), spaced))
                piece, spaced = "", False
            piece += char
        if piece:
            words.append(_Word(piece, columns(piece), spaced))
    return words


def _line(words: Sequence[_Word]) -> str:
    """The words of one line, with spaces only where the text had them."""
    return join(Unit(word.text, word.spaced) for word in words)


def _gap(words: Sequence[_Word], index: int) -> int:
    """Columns of space before words[index] when it follows another word on the same line."""
    return 1 if words[index].spaced else 0


def _joined_len(words: Sequence[_Word]) -> int:
    """Width in columns of the words set on one line."""
    return sum(w.width for w in words) + sum(_gap(words, k) for k in range(1, len(words)))


def _greedy_line_count(words: Sequence[_Word], max_chars: int) -> int:
    """Fewest lines the words fit in (greedy filling is optimal for this)."""
    lines, width = 1, words[0].width if words else 0
    for k in range(1, len(words)):
        step = _gap(words, k) + words[k].width
        if width + step <= max_chars:
            width += step
        else:
            lines, width = lines + 1, words[k].width
    return lines


def _prefix(words: Sequence[_Word]) -> tuple[list[int], list[int]]:
    """Prefix sums of word widths and of spaces before words, so a run's joined width is O(1)."""
    sums, gaps = [0], [0]
    for k, word in enumerate(words):
        sums.append(sums[-1] + word.width)
        gaps.append(gaps[-1] + _gap(words, k))
    return sums, gaps


def _partition(
    words: Sequence[_Word], parts: int, max_len: int, cost: Callable[[int, int, int], float]
) -> list[tuple[int, int]]:
    """Split words into `parts` runs no longer than max_len, minimising cost minus clause-break bonuses."""
    n = len(words)
    sums, gaps = _prefix(words)
    inf = math.inf
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    back = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for j in range(k, n + 1):
            bonus = _PUNCT_BONUS if j < n and words[j - 1].text.endswith(_SOFT_BREAK_AFTER) else 0.0
            for i in range(j - 1, k - 2, -1):
                length = sums[j] - sums[i] + gaps[j] - gaps[i + 1]
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


def _wrap(words: Sequence[_Word], max_chars: int) -> tuple[str, ...]:
    """Balanced wrap into the fewest lines; a bottom-heavy split wins ties, as broadcasters prefer."""
    count = _greedy_line_count(words, max_chars)
    if count == 1:
        return (_line(words),)
    target = _joined_len(words) / count

    def cost(i: int, j: int, length: int) -> float:
        # Squared deviation keeps lines even; the tiny tilt puts the longer line at the bottom.
        return ((length - target) / max_chars) ** 2 + (0.001 * length / max_chars if i == 0 else 0.0)

    return tuple(_line(words[i:j]) for i, j in _partition(words, count, max_chars, cost))


def _sentence_cues(words: list[_Word], start: float, end: float, max_chars: int, max_lines: int) -> list[Cue]:
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


def _chunk(words: list[_Word], max_chars: int, max_lines: int) -> list[list[_Word]]:
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
