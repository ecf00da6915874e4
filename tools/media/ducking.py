"""Gain curves for the soundtrack, in numpy: where the narration speaks, the music bed's duck under it, and a
look-ahead peak limiter. Computed from the known narration, so the bed goes down before the first word."""

from __future__ import annotations

import numpy as np

FRAME_S = 0.010
# A frame speaks when it is within this of the narration's speaking level (the power mean of its audible
# frames); soft consonants sit 20-30 dB under the vowels, room noise and breaths further down.
GATE_BELOW_DB = 30.0
_AUDIBLE_DBFS = -70.0
# Shorter silences are gaps between words or breaths between sentences: the bed stays down through them.
WORD_GAP_S = 0.35
# The duck starts LEAD_S before the first word and is fully down ATTACK_S later, just before the word.
LEAD_S = 0.070
ATTACK_S = 0.050
# After the last word the bed waits HOLD_S (the word's tail and any reverb), then comes up over RELEASE_S.
HOLD_S = 0.060
RELEASE_S = 0.450


def speech_spans(voice: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """Sample ranges [start, end) where the mono narration `voice` speaks, with gaps between words closed."""
    frame = max(1, round(FRAME_S * rate))
    count = -(-len(voice) // frame)
    padded = np.zeros(count * frame, dtype=np.float64)
    padded[: len(voice)] = voice
    power = np.mean(padded.reshape(count, frame) ** 2, axis=1)
    audible = power[power > 10 ** (_AUDIBLE_DBFS / 10)]
    if audible.size == 0:
        return []
    gate = float(np.mean(audible)) * 10 ** (-GATE_BELOW_DB / 10)
    speaking = np.concatenate(([False], power > gate, [False]))
    edges = np.flatnonzero(np.diff(speaking.astype(np.int8)))
    runs = list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))
    gap = round(WORD_GAP_S / FRAME_S)
    merged: list[list[int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] < gap:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(start * frame, min(end * frame, len(voice))) for start, end in merged]


def duck_gain(spans: list[tuple[int, int, float]], n_samples: int, rate: int) -> np.ndarray:
    """Per-sample linear gain for the bed: 1 between lines, down by each (start, end, depth_db) span while it
    speaks, with a raised-cosine attack that ends just before the words and a raised-cosine release after."""
    lead, attack = round(LEAD_S * rate), max(1, round(ATTACK_S * rate))
    hold, release = round(HOLD_S * rate), max(1, round(RELEASE_S * rate))
    duck_db = np.zeros(n_samples, dtype=np.float64)
    for start, end, depth in spans:
        down, up = start - lead, end + hold
        low, high = max(down, 0), min(up + release, n_samples)
        if low >= high:
            continue
        at = np.arange(low, high, dtype=np.float64)
        shape = np.ones_like(at)
        rising = at < down + attack
        shape[rising] = 0.5 - 0.5 * np.cos(np.pi * (at[rising] - down) / attack)
        falling = at >= up
        shape[falling] = 0.5 + 0.5 * np.cos(np.pi * (at[falling] - up) / release)
        # Where two lines' ramps meet, the deeper duck wins; the max of smooth curves has no steps.
        np.maximum(duck_db[low:high], depth * shape, out=duck_db[low:high])
    return np.asarray(10 ** (-duck_db / 20), dtype=np.float32)


# The limiter works through long tracks in pieces of this many seconds, each with a second of what came
# before (the release has long settled by then) and the look-ahead after: its float64 working arrays for a
# whole minute at 48 kHz took 350 MB at once; in pieces, about 50 MB.
_PIECE_S = 8.0
_LEAD_IN_S = 1.0


def limiter_gain(
    peak: np.ndarray, limit: float, rate: int, attack_s: float = 0.005, release_s: float = 0.080
) -> np.ndarray:
    """Per-sample gain of a look-ahead peak limiter: `peak * gain` never exceeds `limit`; the gain ramps down
    over `attack_s` ahead of each peak and recovers exponentially over about `release_s`."""
    piece, lead = round(_PIECE_S * rate), round(_LEAD_IN_S * rate)
    if len(peak) <= piece + lead:
        return _limiter_gain(peak, limit, rate, attack_s, release_s)
    # Each piece's gain never exceeds any of its samples' need, so pieces keep the guarantee; cutting the
    # history a second back changes the release by less than exp(-1 s / release_s) (1e-5 at 80 ms).
    tail = 2 * max(1, round(attack_s * rate)) + 1
    gain = np.empty(len(peak), dtype=np.float32)
    for start in range(0, len(peak), piece):
        end = min(len(peak), start + piece)
        first = max(0, start - lead)
        window = _limiter_gain(peak[first : min(len(peak), end + tail)], limit, rate, attack_s, release_s)
        gain[start:end] = window[start - first : end - first]
    return gain


def _limiter_gain(peak: np.ndarray, limit: float, rate: int, attack_s: float, release_s: float) -> np.ndarray:
    """`limiter_gain` over one stretch held in memory at once."""
    need = np.minimum(1.0, limit / np.maximum(peak.astype(np.float64), 1e-12))
    if need.min() >= 1.0:
        return np.ones(len(peak), dtype=np.float32)
    width = max(1, round(attack_s * rate))
    # The least gain needed over the next `width` samples, averaged over the last `width`: every average
    # includes the sample it lands on, so it is never above that sample's need, and it ramps, never steps.
    ahead = _window_min(np.concatenate((need, np.ones(width))), width + 1)[: len(need)]
    # Before the first sample, the first window's need stands in (ones there would lift the start's gain).
    sums = np.concatenate(([0.0], np.cumsum(np.concatenate((np.full(width, ahead[0]), ahead)))))
    smooth = (sums[width + 1 :] - sums[: len(need)]) / (width + 1)
    # The release runs on 1 ms blocks (a recursion; per sample it would be slow in Python), interpolated.
    block = max(1, rate // 1000)
    count = -(-len(smooth) // block)
    lows = np.concatenate((smooth, np.ones(count * block - len(smooth)))).reshape(count, block).min(axis=1)
    recover = 1.0 - np.exp(-block / (release_s * rate))
    held = np.empty(count)
    level = 1.0
    for index, low in enumerate(lows.tolist()):
        level = min(low, level + (1.0 - level) * recover)
        held[index] = level
    # Each block's value sits at its last sample: the interpolated curve stays under every block's minimum.
    points = np.arange(count) * block + block - 1
    released = np.interp(np.arange(len(smooth)), points, held)
    return np.asarray(np.minimum(smooth, released), dtype=np.float32)


def _window_min(values: np.ndarray, width: int) -> np.ndarray:
    """The minimum of values[i : i + width] for every i (van Herk / Gil-Werman, O(n)); ones past the end."""
    count = -(-(len(values) + width) // width)
    padded = np.ones(count * width)
    padded[: len(values)] = values
    blocks = padded.reshape(count, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    index = np.arange(len(values))
    return np.asarray(np.minimum(suffix[index], prefix[index + width - 1]))
