"""Subtitle cues from word-timed narration: cut between words, balanced lines and SRT output, in any script.

A cue starts when its first word is spoken and stays until the next cue starts, or for the last cue of a
sentence until a moment after its last word. Cues and their lines break only between words (between
characters in Chinese and Japanese), preferring clause punctuation and pauses, never inside a number with its
unit, a date or a name (tools.text.word_groups), and never after an article or preposition when a better
break exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from state import SpokenSentence
from tools.files import atomic_path
from tools.text.line_breaks import Unit, columns, join, join_lines, units
from tools.text.word_groups import unbreakable, weak_ending

# A break right after these reads naturally, so the chunker and the wrapper prefer it.
_SOFT_BREAK_AFTER = (",", ";", ":", "—", "–", ".", "!", "?", "、", "。", "，", "；", "：", "！", "？")
_PUNCT_BONUS = 0.08  # between lines of one cue
_CUE_PUNCT_BONUS = 0.4  # between cues: a cue that ends a clause reads far better
_PAUSE_S = 0.2  # a silence this long between two words is where the voice itself breaks
_PAUSE_BONUS = 0.1
_WEAK_END_PENALTY = 0.5  # times word_groups.weak_ending: an article costs this much
_INSIDE_GROUP_PENALTY = 2.0  # a group too long for a line may break inside, but only where it must
_EXTRA_CUE_COST = 0.35  # one more cue than needed is worth it to avoid a dangling article, not less
_EXTRA_LINE_COST = 0.35  # and the same for one more line in a cue
# How long the last cue of a sentence stays after its last word, so it does not vanish as the word ends.
HOLD_S = 0.4

LineFits = Callable[[str], bool]


@dataclass(frozen=True)
class CueWord:
    """One word of a cue (one character in Chinese or Japanese), when it is spoken and where it is drawn.

    Times are on the video timeline. `line` indexes the cue's lines; `offset` is where the word starts in
    that line, in characters, so `cue.lines[line][offset:offset + len(text)] == text`.
    """

    text: str
    start_s: float
    end_s: float
    line: int
    offset: int


@dataclass(frozen=True)
class Cue:
    """One subtitle: 1..max_lines lines shown from start_s to end_s on the video timeline, and its words."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]
    words: tuple[CueWord, ...] = ()

    @property
    def text(self) -> str:
        """The cue's lines as running text: joined by spaces, except next to Chinese or Japanese text."""
        return join_lines(self.lines)


class _Piece(NamedTuple):
    """Where a line may break: a word, a Chinese or Japanese character, or part of an overlong word."""

    text: str
    width: int
    spaced: bool
    start_s: float
    end_s: float


class _Breaks:
    """A sentence as unbreakable blocks of pieces: where lines may break, what a break costs, what fits."""

    def __init__(
        self, pieces: list[_Piece], glued: list[bool], max_chars: int, fits: LineFits | None
    ) -> None:
        self.pieces = pieces
        self.max_chars = max_chars
        self.fits = fits
        self._sums, self._gaps = _prefix(pieces)
        self.starts = self._blocks(glued)  # piece index where each block starts, then len(pieces)
        self.count = len(self.starts) - 1
        # Width of blocks first..last-1 on one line is _at[last] - _at[first] - _lead[first]: O(1).
        self._at = [self._sums[k] + self._gaps[k] for k in self.starts]
        self._lead = [1 if pieces[k].spaced else 0 for k in self.starts[:-1]]
        self.line_cost = [0.0] * (self.count + 1)  # of a break before block b
        self.cue_cost = [0.0] * (self.count + 1)
        self._cost_breaks(glued)
        self.reach = [self._reach(b) for b in range(self.count)]

    def width(self, first: int, last: int) -> int:
        """Columns of blocks first..last-1 set on one line."""
        return self._at[last] - self._at[first] - self._lead[first]

    def text(self, first: int, last: int) -> str:
        """Blocks first..last-1 set on one line."""
        return _line(self.pieces[self.starts[first] : self.starts[last]])

    def cue_reach(self, first: int, max_lines: int) -> int:
        """One past the last block a cue starting at block `first` can hold in max_lines lines."""
        end = first
        for _ in range(max_lines):
            if end >= self.count:
                break
            end = self.reach[end]
        return end

    def line_count(self, first: int, last: int) -> int:
        """Fewest lines blocks first..last-1 fit in (greedy filling is optimal for this)."""
        lines, at = 0, first
        while at < last:
            at, lines = self.reach[at], lines + 1
        return lines

    def _blocks(self, glued: list[bool]) -> list[int]:
        """Starts of the glued runs of pieces; a run too long for any line falls apart into its pieces."""
        starts: list[int] = []
        run = 0
        for k in range(1, len(self.pieces) + 1):
            if k < len(self.pieces) and glued[k]:
                continue
            if k - run > 1 and not self._fits(run, k):
                starts.extend(range(run, k))
            else:
                starts.append(run)
            run = k
        return [*starts, len(self.pieces)]

    def _cost_breaks(self, glued: list[bool]) -> None:
        """What a break before each block costs, between lines and between cues (a bonus is negative)."""
        for b in range(1, self.count):
            k = self.starts[b]
            before, piece = self.pieces[k - 1], self.pieces[k]
            cost = _INSIDE_GROUP_PENALTY if glued[k] else 0.0
            if piece.spaced:
                cost += _WEAK_END_PENALTY * weak_ending(before.text)
            clause = before.text.endswith(_SOFT_BREAK_AFTER)
            self.line_cost[b] = cost - (_PUNCT_BONUS if clause else 0.0)
            pause = piece.start_s - before.end_s >= _PAUSE_S
            self.cue_cost[b] = cost - (_CUE_PUNCT_BONUS if clause else 0.0) - (_PAUSE_BONUS if pause else 0.0)

    def _reach(self, first: int) -> int:
        """One past the last block a line starting at block `first` can hold (always at least one block)."""
        last = first + 1
        while last < self.count and self._fits(self.starts[first], self.starts[last + 1]):
            last += 1
        return last

    def _piece_width(self, a: int, b: int) -> int:
        return self._sums[b] - self._sums[a] + self._gaps[b] - self._gaps[a + 1]

    def _fits(self, a: int, b: int) -> bool:
        """Whether pieces a..b-1 fit on one line: in columns first (cheap), then in pixels if asked."""
        if self._piece_width(a, b) > self.max_chars:
            return False
        return self.fits is None or self.fits(_line(self.pieces[a:b]))


def build_cues(
    spoken: list[tuple[float, list[SpokenSentence]]],
    max_chars: int = 42,
    max_lines: int = 2,
    bridge_gap_s: float = 0.25,
    fits: LineFits | None = None,
) -> list[Cue]:
    """Turn per-clip timed sentences into ordered, non-overlapping cues of at most max_lines x max_chars.

    Each sentence's `words` give the timing; a sentence without them has its time spread over its words by
    characters. `fits` (e.g. SafeAreas.caption_fits) may further refuse a line too wide in pixels. Lengths
    are display columns: a Chinese, Japanese or Korean character counts two, so a line holds at most 21 of
    them. Text without spaces breaks between Chinese and Japanese characters.
    """
    if max_chars < 1 or max_lines < 1:
        raise ValueError("max_chars and max_lines must be positive")
    fits = _remembered(fits)
    raw: list[Cue] = []
    for offset, sentences in spoken:
        for sentence in sentences:
            timed = _timed_words(sentence, float(offset))
            if timed:
                raw.extend(_sentence_cues(_breaks(timed, max_chars, fits), max_chars, max_lines))
    return _tidy(raw, bridge_gap_s)


def wrap_lines(text: str, max_chars: int = 42, fits: LineFits | None = None) -> tuple[str, ...]:
    """Wrap text at word boundaries (or between Chinese and Japanese characters) into balanced lines.

    Each line is at most max_chars columns wide (and passes `fits`, if given); lines are as few as possible
    and never break inside a number with its unit, a date or a name that fits on one line.
    """
    timed = [(word, 0.0, 0.0) for word in text.split()]
    if not timed:
        return ()
    breaks = _breaks(timed, max_chars, _remembered(fits))
    lines, _ = _wrap(breaks, 0, breaks.count, max_chars, max_lines=breaks.count)
    return tuple(breaks.text(a, b) for a, b in lines)


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


def _remembered(fits: LineFits | None) -> LineFits | None:
    """`fits` answering each distinct line once (measuring text in pixels is the slow part)."""
    if fits is None:
        return None
    measure = fits
    known: dict[str, bool] = {}

    def remembered(line: str) -> bool:
        if line not in known:
            known[line] = bool(measure(line))
        return known[line]

    return remembered


def _timed_words(sentence: SpokenSentence, offset: float) -> list[tuple[str, float, float]]:
    """The sentence's words with their times on the timeline, from `words` or spread by characters."""
    texts = sentence["text"].split()
    if not texts:
        return []
    words = sentence.get("words") or []
    if len(words) == len(texts):
        times = [(offset + float(w["start_s"]), offset + float(w["end_s"])) for w in words]
    else:
        # Clips made before words were timed (or whose words do not match the text): share by characters.
        start = offset + float(sentence["start_s"])
        times = _spread(texts, start, max(start, offset + float(sentence["end_s"])), gap=1)
    return [(text, start, end) for text, (start, end) in zip(texts, _in_order(times), strict=True)]


def _spread(texts: Sequence[str], start: float, end: float, gap: int) -> list[tuple[float, float]]:
    """Share start..end among texts by their length in characters, with `gap` characters between them."""
    total = sum(len(text) for text in texts) + gap * (len(texts) - 1)
    span = end - start
    times, at = [], 0
    for text in texts:
        first = at
        at += len(text)
        times.append((start + span * first / total, start + span * at / total))
        at += gap
    return times


def _in_order(times: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Word times made monotonic: each word starts no earlier than the one before and ends by the next."""
    starts: list[float] = []
    for start, _ in times:
        starts.append(max(start, starts[-1]) if starts else start)
    ends = [max(end, start) for (_, end), start in zip(times, starts, strict=True)]
    for k in range(len(ends) - 1):
        ends[k] = min(ends[k], starts[k + 1])
    return list(zip(starts, ends, strict=True))


def _breaks(timed: list[tuple[str, float, float]], max_chars: int, fits: LineFits | None) -> _Breaks:
    """Cut timed words into pieces (Chinese and Japanese characters, overlong words in line-sized parts)."""
    found: list[Unit] = []
    found_times: list[tuple[float, float]] = []
    for index, (word, start, end) in enumerate(timed):
        word_units = units(word)
        found.extend(Unit(u.text, index > 0 and k == 0) for k, u in enumerate(word_units))
        found_times.extend(_spread([u.text for u in word_units], start, end, gap=0))
    glued_units = unbreakable(found)
    pieces: list[_Piece] = []
    glued: list[bool] = []
    for unit, (start, end), glue in zip(found, found_times, glued_units, strict=True):
        parts = _hard_split(unit.text, max_chars, fits)
        for k, (part, (part_start, part_end)) in enumerate(
            zip(parts, _spread(parts, start, end, 0), strict=True)
        ):
            pieces.append(_Piece(part, columns(part), unit.spaced and k == 0, part_start, part_end))
            glued.append(glue and k == 0)
    return _Breaks(pieces, glued, max_chars, fits)


def _hard_split(text: str, max_chars: int, fits: LineFits | None) -> list[str]:
    """A piece too wide for any line, cut into parts that each fit one (a single character always counts)."""

    def line_fits(line: str) -> bool:
        return columns(line) <= max_chars and (fits is None or fits(line))

    if line_fits(text):
        return [text]
    parts: list[str] = []
    part = ""
    for char in text:
        if part and not line_fits(part + char):
            parts.append(part)
            part = ""
        part += char
    return [*parts, part] if part else parts


def _line(pieces: Sequence[_Piece]) -> str:
    """The pieces of one line, with spaces only where the text had them."""
    return join(Unit(piece.text, piece.spaced) for piece in pieces)


def _prefix(pieces: Sequence[_Piece]) -> tuple[list[int], list[int]]:
    """Prefix sums of piece widths and of spaces before pieces, so a run's joined width is O(1)."""
    sums, gaps = [0], [0]
    for piece in pieces:
        sums.append(sums[-1] + piece.width)
        gaps.append(gaps[-1] + (1 if piece.spaced else 0))
    return sums, gaps


def _partition(
    first: int, last: int, parts: int, reach: Callable[[int], int], cost: Callable[[int, int], float]
) -> tuple[list[tuple[int, int]], float]:
    """Split blocks first..last-1 into `parts` runs, each ending by reach(start), at the least total cost.

    Returns the runs and their cost; the cost is infinite (and the runs empty) if no split is possible.
    """
    inf = math.inf
    span = last - first
    best = [[inf] * (span + 1) for _ in range(parts + 1)]
    back = [[0] * (span + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    edges: dict[int, list[tuple[int, float]]] = {}  # each run's cost, worked out once for every k
    for k in range(1, parts + 1):
        for i in range(span):
            if best[k - 1][i] == inf:
                continue
            if i not in edges:
                ends = range(i + 1, min(reach(first + i), last) - first + 1)
                edges[i] = [(j, cost(first + i, first + j)) for j in ends]
            for j, run_cost in edges[i]:
                total = best[k - 1][i] + run_cost
                if total < best[k][j]:
                    best[k][j], back[k][j] = total, i
    if best[parts][span] == inf:
        return [], inf
    runs: list[tuple[int, int]] = []
    j = span
    for k in range(parts, 0, -1):
        i = back[k][j]
        runs.append((first + i, first + j))
        j = i
    return runs[::-1], best[parts][span]


def _wrap(
    breaks: _Breaks, first: int, last: int, max_chars: int, max_lines: int
) -> tuple[list[tuple[int, int]], float]:
    """Balanced wrap of blocks first..last-1 into the fewest lines, or one more (up to max_lines) when that
    avoids a bad break; returns the lines as block runs and what the wrap costs."""
    fewest = breaks.line_count(first, last)
    if fewest <= 1:
        return [(first, last)], 0.0
    best: tuple[list[tuple[int, int]], float] = ([], math.inf)
    for count in range(fewest, min(fewest + 1, max_lines, last - first) + 1):
        runs, cost = _wrap_into(breaks, first, last, count, max_chars)
        cost += _EXTRA_LINE_COST * (count - fewest)
        if cost < best[1]:
            best = (runs, cost)
    return best


def _wrap_into(
    breaks: _Breaks, first: int, last: int, count: int, max_chars: int
) -> tuple[list[tuple[int, int]], float]:
    """Blocks first..last-1 in `count` even lines; a bottom-heavy split wins ties, as broadcasters prefer."""
    target = breaks.width(first, last) / count

    def cost(i: int, j: int) -> float:
        # Squared deviation keeps lines even; the tiny tilt puts the longer line at the bottom.
        length = breaks.width(i, j)
        tilt = 0.001 * length / max_chars if i == first else 0.0
        return ((length - target) / max_chars) ** 2 + tilt + (breaks.line_cost[j] if j < last else 0.0)

    if count != 2:
        return _partition(first, last, count, lambda i: breaks.reach[i], cost)
    # Two lines, the usual case, is one choice of break: try each directly.
    best, best_cost = 0, math.inf
    for split in range(first + 1, min(breaks.reach[first], last - 1) + 1):
        if breaks.reach[split] >= last:
            top, bottom = breaks.width(first, split), breaks.width(split, last)
            total = (
                ((top - target) / max_chars) ** 2
                + ((bottom - target) / max_chars) ** 2
                + 0.001 * top / max_chars
                + breaks.line_cost[split]
            )
            if total < best_cost:
                best, best_cost = split, total
    return ([(first, best), (best, last)], best_cost) if best else ([], math.inf)


def _chunks(
    breaks: _Breaks, max_chars: int, max_lines: int
) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Split a sentence's blocks into cues that each fit max_lines: even, at good breaks, and few.

    The fewest cues that fit usually win; one more wins only when it avoids a bad break (a cue or a line
    ending on "the", or a break inside a group). Returns each cue's lines (as block runs) and its blocks.
    """
    wraps: dict[tuple[int, int], tuple[list[tuple[int, int]], float]] = {}

    def wrapped(i: int, j: int) -> tuple[list[tuple[int, int]], float]:
        if (i, j) not in wraps:
            wraps[i, j] = _wrap(breaks, i, j, max_chars, max_lines)
        return wraps[i, j]

    fewest, at = 0, 0
    while at < breaks.count:
        at, fewest = breaks.cue_reach(at, max_lines), fewest + 1
    if fewest == 1:
        return [(wrapped(0, breaks.count)[0], (0, breaks.count))]  # a sentence that fits one cue stays whole
    options: list[tuple[float, list[tuple[int, int]]]] = []
    for count in range(fewest, min(fewest + 1, breaks.count) + 1):
        target = breaks.width(0, breaks.count) / count

        def cost(i: int, j: int, target: float = target) -> float:
            length = breaks.width(i, j)
            after = breaks.cue_cost[j] if j < breaks.count else 0.0
            return ((length - target) / max_chars) ** 2 + after + wrapped(i, j)[1]

        runs, total = _partition(0, breaks.count, count, lambda i: breaks.cue_reach(i, max_lines), cost)
        options.append((total + _EXTRA_CUE_COST * (count - fewest), runs))
    chosen = min(options, key=lambda option: option[0])[1]
    return [(wrapped(i, j)[0], (i, j)) for i, j in chosen]


def _sentence_cues(breaks: _Breaks, max_chars: int, max_lines: int) -> list[Cue]:
    """One sentence's cues: each from its first word's start to the next cue, the last held past its end."""
    chunks = _chunks(breaks, max_chars, max_lines)
    pieces = breaks.pieces
    cues: list[Cue] = []
    for index, (rows, _) in enumerate(chunks):
        lines: list[str] = []
        words: list[CueWord] = []
        for row, (a, b) in enumerate(rows):
            line = ""
            for piece in pieces[breaks.starts[a] : breaks.starts[b]]:
                if line and piece.spaced:
                    line += " "
                words.append(CueWord(piece.text, piece.start_s, piece.end_s, row, len(line)))
                line += piece.text
            lines.append(line)
        if index + 1 < len(chunks):
            end = pieces[breaks.starts[chunks[index + 1][1][0]]].start_s
        else:
            end = words[-1].end_s + HOLD_S
        cues.append(Cue(words[0].start_s, max(end, words[-1].end_s), tuple(lines), tuple(words)))
    return cues


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
            out.append(Cue(cue.start_s, end, cue.lines, cue.words))
    return out
