"""The issue's ducking measure on the real soundtrack: real voices, a music file, the music bed's level under
speech against the voice (>= 20 dB), the bed back up between lines, and a duck without clicks."""

from __future__ import annotations

import math
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tools.media import ducking
from tools.media.audio import RATE, Mixdown, mix_soundtrack
from tools.media.ducking import (
    ATTACK_S,
    HOLD_S,
    LEAD_S,
    RELEASE_S,
    duck_gain,
    limiter_gain,
    speech_spans,
)
from tools.media.ffmpeg import find_ffmpeg
from tools.media.verify import measure_loudness
from tools.speech import VoiceShelf

# Three scenes' lines, one of two sentences, with two seconds between the lines (as the timeline leaves).
LINES = (
    "Rivers carry sand and silt down to the sea.",
    "Over many years the grains build a wide delta. Birds nest on its islands.",
    "Floods bring fresh soil every spring.",
)
GAP_S = 2.0
FLOOR_DB = 20.0


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    """The real ffmpeg binary."""
    return find_ffmpeg()


@pytest.fixture(scope="module")
def music(ffmpeg: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s MP3 loop: an A major chord over pulsing broadband noise, louder than a bed should be."""
    rate = 44_100
    rng = np.random.default_rng(7)
    t = np.arange(3 * rate) / rate
    chord = sum(np.sin(2 * np.pi * hz * t) for hz in (220.0, 277.18, 329.63, 440.0)) / 4
    noise = np.convolve(rng.standard_normal(len(t)), np.ones(6) / 6, mode="same")
    pulse = 0.55 + 0.45 * (np.sin(2 * np.pi * 2 * t) > 0)
    left = 0.2 * chord + 0.5 * noise * pulse
    stereo = np.stack([left, np.roll(left, 441)], axis=1)
    folder = tmp_path_factory.mktemp("music")
    wav = folder / "loop.wav"
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes())
    mp3 = folder / "loop.mp3"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k", str(mp3)],
        check=True,
    )
    return mp3


@dataclass
class Mixed:
    """A soundtrack with music, its parts, and where each sentence is spoken on the timeline (seconds)."""

    voice: str
    mixdown: Mixdown
    sentences: list[tuple[float, float]]
    lines: list[tuple[float, float]]
    samples: np.ndarray


@pytest.fixture(scope="module", params=["joe", "espeak"])
def mixed(
    request: pytest.FixtureRequest, ffmpeg: str, music: Path, tmp_path_factory: pytest.TempPathFactory
) -> Mixed:
    """The narration of LINES in a real voice, one clip a scene, mixed over the music."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(f"duck-{name}")
    synthesizer = VoiceShelf().get(name)
    clips, sentences, lines, at = [], [], [], 0.6
    for index, text in enumerate(LINES):
        spoken = synthesizer.synthesize(text, folder / f"line-{index}.wav")
        clips.append((spoken.path, at))
        sentences += [(at + s["start_s"], at + s["end_s"]) for s in spoken.sentences]
        lines.append((at, at + spoken.duration_s))
        at += spoken.duration_s + GAP_S
    mixdown = mix_soundtrack(clips, at, folder / "soundtrack.wav", ffmpeg, music=music)
    with wave.open(str(mixdown.path), "rb") as handle:
        assert (handle.getframerate(), handle.getnchannels()) == (RATE, 2)
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), "<i2")
    samples = pcm.astype(np.float64).reshape(-1, 2) / 32768
    return Mixed(name, mixdown, sentences, lines, samples)


def level_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (a stereo part's channels averaged)."""
    return 10 * math.log10(max(float(np.mean(np.square(samples, dtype=np.float64))), 1e-20))


def window(start_s: float, end_s: float) -> slice:
    """Samples of a stretch of the timeline."""
    return slice(round(start_s * RATE), round(end_s * RATE))


def test_the_parts_sum_to_the_soundtrack_file(mixed: Mixed) -> None:
    # The measure below reads the parts, so first prove they are the file: every gain after the sum
    # (limiter, loudnorm's linear pass) was common to both, and nothing else changed the audio.
    bed = mixed.mixdown.bed
    assert bed is not None and len(bed) == len(mixed.samples)
    residual = mixed.samples - (mixed.mixdown.voice[:, None] + bed)
    assert level_db(residual) - level_db(mixed.samples) < -60


def test_the_bed_sits_at_least_20_db_under_every_sentence(mixed: Mixed) -> None:
    # Only where the voice speaks, by the voice's own sentence timings (not the ducker's speech detector).
    voice, bed = mixed.mixdown.voice, mixed.mixdown.bed
    assert bed is not None
    speaking = np.zeros(len(voice), dtype=bool)
    margins = []
    for start, end in mixed.sentences:
        speaking[window(start, end)] = True
        margins.append(level_db(voice[window(start, end)]) - level_db(bed[window(start, end)]))
    overall = level_db(voice[speaking]) - level_db(bed[speaking])
    print(
        f"{mixed.voice}: bed {overall:.1f} dB under the voice; per sentence "
        + ", ".join(f"{m:.1f}" for m in margins)
    )
    assert overall >= FLOOR_DB
    assert min(margins) >= FLOOR_DB, margins
    assert overall <= 26, "not so far down that the music vanishes"


def test_the_bed_comes_back_up_between_lines_and_stays_under_the_voice(mixed: Mixed) -> None:
    voice, bed = mixed.mixdown.voice, mixed.mixdown.bed
    assert bed is not None
    speaking = np.zeros(len(voice), dtype=bool)
    for start, end in mixed.sentences:
        speaking[window(start, end)] = True
    under = level_db(bed[speaking])
    voice_db = level_db(voice[speaking])
    for (_, end), (start, _) in zip(mixed.lines, mixed.lines[1:], strict=False):
        # After the release has finished and before the next attack begins.
        between = level_db(bed[window(end + HOLD_S + RELEASE_S, start - LEAD_S)])
        up, below = between - under, voice_db - between
        print(f"{mixed.voice}: between lines the bed is {up:.1f} dB up, {below:.1f} dB under the voice")
        assert up >= 6.0
        assert below >= 8.0


def test_the_duck_is_smooth_and_down_before_the_first_word(mixed: Mixed) -> None:
    duck = mixed.mixdown.duck
    assert duck is not None
    # A click is a step in gain: the largest change between samples is tiny (full depth takes >= 30 ms).
    assert float(np.abs(np.diff(duck)).max()) < 1e-3
    voice = mixed.mixdown.voice
    peak = float(np.abs(voice).max())
    for start, end in mixed.lines:
        # The first word's onset, read from the audio: the first sample within 40 dB of the loudest one.
        part = np.abs(voice[window(start, end)])
        onset = round(start * RATE) + int(np.argmax(part > peak * 10 ** (-40 / 20)))
        line_gain = float(duck[onset : round(end * RATE)].min())
        assert 20 * math.log10(float(duck[onset]) / line_gain) < 0.5, "fully down when the word starts"
        before = duck[onset - round(0.15 * RATE) : onset]
        falling = np.flatnonzero(before < 0.999)
        ramp_s = (len(before) - falling[0]) / RATE
        print(f"{mixed.voice}: the duck starts {ramp_s * 1000:.0f} ms before the first word")
        assert 0.03 <= ramp_s <= 0.10, f"the duck starts {ramp_s * 1000:.0f} ms before the word"


def test_the_soundtrack_is_normalised_and_under_the_ceiling(mixed: Mixed, ffmpeg: str) -> None:
    assert measure_loudness(mixed.mixdown.path, ffmpeg) == pytest.approx(-14.0, abs=1.0)
    assert np.abs(mixed.samples).max() <= 10 ** (-1.4 / 20)


def test_duck_gain_attack_and_release_times() -> None:
    rate = 48_000
    duck = duck_gain([(rate, 2 * rate, 20.0)], 4 * rate, rate)
    db = 20 * np.log10(duck)
    moving = np.flatnonzero(np.abs(np.diff(db)) > 1e-6)
    attack = moving[moving < rate]
    release = moving[moving > rate]
    assert (attack[0] + 1) / rate == pytest.approx(1 - LEAD_S, abs=1e-3)
    assert (attack[-1] - attack[0]) / rate == pytest.approx(ATTACK_S, abs=1e-3)
    assert (release[0] + 1) / rate == pytest.approx(2 + HOLD_S, abs=1e-3)
    assert (release[-1] - release[0]) / rate == pytest.approx(RELEASE_S, abs=1e-3)
    assert db.min() == pytest.approx(-20.0, abs=1e-3)
    assert db[0] == db[-1] == 0.0


def test_speech_spans_close_word_gaps_and_keep_line_gaps() -> None:
    rate = 16_000
    tone = 0.3 * np.sin(2 * np.pi * 200 * np.arange(rate // 2) / rate)
    word_gap, line_gap = np.zeros(rate // 10), np.zeros(rate)
    voice = np.concatenate([np.zeros(rate // 4), tone, word_gap, tone, line_gap, tone])
    spans = speech_spans(voice, rate)
    assert [(a / rate, b / rate) for a, b in spans] == [(0.25, 1.35), (2.35, 2.85)]
    assert speech_spans(np.zeros(rate), rate) == []


def test_limiter_holds_every_peak_under_the_limit_without_steps() -> None:
    rate = 48_000
    rng = np.random.default_rng(3)
    signal = 0.2 * rng.standard_normal(rate)
    signal[[1000, 20_000, 20_050, 40_000]] = [1.5, -2.0, 1.2, 0.95]
    gain = limiter_gain(np.abs(signal), 0.75, rate)
    assert float(np.abs(signal * gain).max()) <= 0.75 + 1e-6
    assert float(np.abs(np.diff(gain)).max()) < 0.01
    assert gain[30_000] > 0.9, "recovers within the release"
    assert np.all(limiter_gain(np.full(100, 0.5), 0.75, rate) == 1.0)


def test_the_limiter_holds_every_peak_from_the_first_sample_and_in_pieces_as_in_one():
    rng = np.random.default_rng(7)
    peak = np.abs(rng.normal(0, 0.3, 48_000 * 20)).astype(np.float32)
    limited = limiter_gain(peak, 0.7, 48_000)
    assert float((peak * limited).max()) <= 0.7 + 1e-6
    # A long track is limited in pieces (bounded memory); the gain is the same as in one go.
    whole = ducking._limiter_gain(peak, 0.7, 48_000, 0.005, 0.080)
    assert float(np.abs(limited - whole).max()) < 1e-4
