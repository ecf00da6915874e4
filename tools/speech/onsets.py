"""Where a word really begins: aligned word starts corrected from the audio's level, 10 ms frame by frame."""

from __future__ import annotations

import numpy as np

from tools.speech.alignment import FRAME_HOP, NOT_WORDS

# pocketsphinx's silence model takes in a short loud onset after a pause: espeak-ng's "Its" after a
# sentence began with 60 ms of "I", a 20 ms stop closure, then "ts", and the word was placed at the "ts",
# 118 ms late. Under a music bed it does the opposite, and a word swallows the pause before it. The power
# of 10 ms frames finds both; levels are relative to the clip's loud level (the median of the upper half
# of its audible frames).
_AUDIBLE_DBFS = -60.0
# A frame is speech-level within this of the loud level. A music bed sits about 25 dB under it while
# ducked under a line, but comes up to 15-20 dB under between lines: hence the vowel tests below.
_SPEECH_BELOW_DB = 20.0
# A vowel's frames are within this of the loud level; a bed's drum beats reach it too, but only briefly.
_VOWEL_BELOW_DB = 10.0
_VOWEL_FRAMES = 3
# A vowel before a stop's closure lasts longer than most drum beats ("I" in "Its": 60 ms).
_CLOSED_VOWEL_FRAMES = 4
# Quiet up to this long is a stop's closure inside a word ("Its"); anything longer ends the onset.
_CLOSURE_FRAMES = 6
# Speech-level sound running this long into the pause is a bed or a noise, not a lost phone.
_RUN_FRAMES = 25
# A start moves back at most this far: the silence model takes a phone or two, never a word.
_SHIFT_FRAMES = 30
# A word that opens on this much quiet before its first vowel swallowed a pause: after a silence
# (where a stop's closure is part of the pause anyway), and elsewhere (where "f" or "th" can be that long).
_QUIET_LEAD_FRAMES = 8
_QUIET_LEAD_IN_SPEECH_FRAMES = 15
# ... or this much of anything without a vowel: no word opens that way, a music bed under a pause does.
_VOWELLESS_LEAD_FRAMES = 25


def frame_levels(pcm: bytes) -> np.ndarray:
    """The power of each 10 ms frame of 16 kHz mono 16-bit PCM, in dB relative to full scale."""
    samples = np.frombuffer(pcm, dtype="<i2")
    count = len(samples) // FRAME_HOP
    frames = samples[: count * FRAME_HOP].astype(np.float64).reshape(count, FRAME_HOP) / 32768.0
    return np.asarray(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12))


def refine_onsets(levels: np.ndarray, timeline: list[tuple[str, int, int]]) -> list[int]:
    """The start frame of each word in `timeline` (a decoder's (name, first, last frame) segments, its
    silences and fillers named "<...>", "[...]" or "+...+"), moved to where the word's sound begins.

    A word after a silence (a pause, a sentence start, the clip's start) takes back the speech-level frames
    that lead into it from inside that silence, across stop closures up to 60 ms when a vowel lies before
    them, never past sound that runs on from the previous word. A word that opens on a long quiet or
    vowelless stretch (a pause it swallowed) moves on to the sound that leads into its first vowel. Every
    other start stays. `levels` are the `frame_levels` of the decoded audio.
    """
    audible = levels[levels > _AUDIBLE_DBFS]
    if audible.size == 0:
        return [first for name, first, _ in timeline if name[:1] not in NOT_WORDS]
    loud = float(np.median(audible[audible >= np.median(audible)]))
    speech = levels >= loud - _SPEECH_BELOW_DB
    vowel = levels >= loud - _VOWEL_BELOW_DB
    held = np.convolve(vowel, np.ones(_VOWEL_FRAMES, dtype=int), "valid") == _VOWEL_FRAMES
    onsets: list[int] = []
    said_before = False
    for index, (name, first, last) in enumerate(timeline):
        if name[:1] in NOT_WORDS:
            continue
        before = timeline[index - 1] if index else None
        if before is None or before[0][:1] in NOT_WORDS:
            floor = before[1] if before is not None else 0
            start = _earlier_onset(speech, vowel, floor, first, said_before)
            if start == first:
                start = _later_onset(speech, held, first, last, _QUIET_LEAD_FRAMES)
        else:
            start = _later_onset(speech, held, first, last, _QUIET_LEAD_IN_SPEECH_FRAMES)
        onsets.append(start)
        said_before = True
    return onsets


def _earlier_onset(speech: np.ndarray, vowel: np.ndarray, floor: int, first: int, said_before: bool) -> int:
    """The start of the speech-level runs that lead back from frame `first` into the silence from `floor`."""
    onset = first
    frame = min(first, len(speech)) - 1
    # Only a vowel leads into a word across quiet, and a word that opens quiet has quiet before it.
    gap = 0 if first < len(speech) and speech[first] else 1
    while frame >= floor:
        if not speech[frame]:
            gap += 1
            if gap > _CLOSURE_FRAMES:
                break
            frame -= 1
            continue
        end = frame
        while frame >= floor and speech[frame]:
            frame -= 1
        begin = frame + 1
        length = end - begin + 1
        if begin == floor and said_before:
            break  # sound from the silence's first frame on runs on from the word before it
        if length > _RUN_FRAMES or first - begin > _SHIFT_FRAMES:
            break
        vowels = int(np.count_nonzero(vowel[begin : end + 1]))
        if gap and (vowels < _CLOSED_VOWEL_FRAMES or 2 * vowels < length):
            break
        onset = begin
        gap = 0
    return onset


def _later_onset(speech: np.ndarray, held: np.ndarray, first: int, last: int, quiet_lead: int) -> int:
    """For the word at frames `first`..`last`, the start of the speech-level run into its first held vowel
    when that comes `quiet_lead` frames in over quiet, or `_VOWELLESS_LEAD_FRAMES` in; else `first`."""
    voiced = np.flatnonzero(held[first : max(first, last - _VOWEL_FRAMES + 2)])
    if voiced.size == 0:
        return first
    onset = first + int(voiced[0])
    while onset > first and speech[onset - 1]:
        onset -= 1
    lead = onset - first
    if lead >= _VOWELLESS_LEAD_FRAMES:
        return onset
    # Mostly quiet: a weak consonant or a drum beat may rise to speech level here and there.
    if lead < quiet_lead or 10 * int(np.count_nonzero(speech[first:onset])) > 3 * lead:
        return first
    return onset
