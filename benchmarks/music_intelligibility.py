"""Measure what a music bed costs the narration's intelligibility: a speech recogniser's word error rate on
the soundtrack with the narration alone and with music under it.

About 30 s of narration (four paragraphs, one clip each, placed as the timeline places scenes' narration) in
one voice (joe by default) goes through the real pipeline function, `build_soundtrack`: alone, and over each
music bed. The beds are made here as MP3 loops: a dense one (pink noise over the whole speech band under a
chord, the hard case) and a band one (pad, bass, kick, snare, hi-hat at 100 bpm); --music FILE uses a file
instead. pocketsphinx's English recogniser (its default model) transcribes each line, with 0.3 s of the
soundtrack either side, at 16 kHz, and the word error rate is counted against the text. Piper reads the text
differently on every call, and a recogniser's errors jump with small changes, so --takes readings are pooled.
The bed's level under the voice while it speaks comes from the soundtrack's parts (`mix_soundtrack`).

    .venv/bin/python benchmarks/music_intelligibility.py [--voice joe] [--takes 4] [--music FILE]

Target: with music the word error rate is within a few points (<= 5) of the narration alone.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.media.audio import RATE, Mixdown, build_soundtrack, mix_soundtrack  # noqa: E402
from tools.media.ffmpeg import find_ffmpeg  # noqa: E402
from tools.speech import VoiceShelf  # noqa: E402

PARAGRAPHS = (
    "A river begins high in the hills, where rain and melting snow gather into small streams. "
    "The streams join together and grow wider as they run down toward the valley.",
    "On the way the water picks up sand and small stones. "
    "It carries them for many miles and drops them where the current slows down.",
    "Near the sea the river spreads out into many channels. "
    "The sand it brings builds new land, and birds and fish make their homes there.",
    "People have farmed these rich fields for thousands of years. "
    "Every spring the floods bring fresh soil, and the land stays green.",
)
TARGET_POINTS = 5.0
GAP_S = 0.8


def write_mp3(path: Path, stereo: np.ndarray, rate: int, ffmpeg: str) -> Path:
    """Write float stereo samples (peak-normalised to 0.8) as an MP3 through a temporary WAV."""
    stereo = stereo * (0.8 / np.abs(stereo).max())
    wav = path.with_suffix(".wav")
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((stereo * 32767).astype("<i2").tobytes())
    cmd = [
        ffmpeg,
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(wav),
        "-c:a",
        "libmp3lame",
        "-b:a",
        "160k",
        str(path),
    ]
    subprocess.run(cmd, check=True)
    return path


def dense_bed(path: Path, ffmpeg: str, seconds: float = 8.0, rate: int = 44_100) -> Path:
    """The hard case: pink noise from 100 Hz to 6 kHz pulsing at 3.3 Hz under an A major chord; it covers
    the whole speech band, as a dense mix (strings, pads, cymbals) does."""
    rng = np.random.default_rng(5)
    count = int(seconds * rate)
    hz = np.fft.rfftfreq(count, 1 / rate)
    shape = np.where((hz > 100) & (hz < 6000), 1 / np.sqrt(np.maximum(hz, 1.0)), 0.0)
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(count)) * shape, count)
    t = np.arange(count) / rate
    noise *= 0.6 + 0.4 * np.sin(2 * np.pi * 3.3 * t)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63, 440.0)) / 4
    mix = noise / np.abs(noise).max() + 0.3 * chord
    return write_mp3(path, np.stack([mix, np.roll(mix, rate // 100)], axis=1), rate, ffmpeg)


def band_bed(path: Path, ffmpeg: str, seconds: float = 8.0, rate: int = 44_100) -> Path:
    """A pop-like loop at 100 bpm: a chord pad, a bass line, kick, snare and hi-hat."""
    rng = np.random.default_rng(11)
    t = np.arange(int(seconds * rate)) / rate
    beat = 60 / 100
    chords = (
        (220.0, 277.18, 329.63),
        (196.0, 246.94, 293.66),
        (174.61, 220.0, 261.63),
        (196.0, 246.94, 329.63),
    )
    pad = np.zeros_like(t)
    bass = np.zeros_like(t)
    for index, chord in enumerate(chords * 2):
        part = (t >= index * 2 * beat) & (t < (index + 1) * 2 * beat)
        for hz in chord:
            # A few harmonics, like a synth pad or an organ, reaching into the voice's band.
            pad[part] += sum(np.sin(2 * np.pi * hz * k * t[part]) / k for k in range(1, 6))
        bass[part] = np.sin(2 * np.pi * chord[0] / 2 * t[part])
    drums = np.zeros_like(t)
    for step, hit in enumerate(np.arange(0, seconds, beat / 2)):
        start = int(hit * rate)
        length = min(int(0.25 * rate), len(t) - start)
        decay = np.exp(-np.arange(length) / (0.04 * rate))
        if step % 4 == 0:  # kick: a falling sine
            sweep = 2 * np.pi * np.cumsum(np.linspace(120, 45, length)) / rate
            drums[start : start + length] += np.sin(sweep) * decay
        elif step % 4 == 2:  # snare: a noise burst
            drums[start : start + length] += 0.6 * rng.standard_normal(length) * decay
        hat = min(int(0.05 * rate), len(t) - start)
        noise = np.diff(rng.standard_normal(hat + 1))  # differenced noise: a bright hi-hat
        drums[start : start + hat] += 0.15 * noise * np.exp(-np.arange(hat) / (0.01 * rate))
    mix = 0.08 * pad + 0.3 * bass + 0.5 * drums
    return write_mp3(path, np.stack([mix, np.roll(mix, rate // 100)], axis=1), rate, ffmpeg)


def words_of(text: str) -> list[str]:
    """Lower-case words without punctuation, as the recogniser spells them."""
    kept = "".join(ch if ch.isalnum() or ch in " '" else " " for ch in text.lower())
    return kept.split()


def word_errors(reference: list[str], heard: list[str]) -> int:
    """Substitutions, deletions and insertions between two word lists (Levenshtein distance)."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def transcribe(path: Path, ffmpeg: str, windows: list[tuple[float, float]]) -> list[str]:
    """pocketsphinx's words for each (start, end) window of a soundtrack, its audio taken at 16 kHz mono."""
    from pocketsphinx import Decoder  # type: ignore[import-untyped]

    pcm = subprocess.run(
        [ffmpeg, "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    heard = []
    for start, end in windows:
        chunk = pcm[round(start * 16000) * 2 : round(end * 16000) * 2]
        decoder.start_utt()
        decoder.process_raw(chunk, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        heard.append(hypothesis.hypstr if hypothesis is not None else "")
    return heard


def level_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (a stereo part's channels averaged)."""
    return 10 * math.log10(max(float(np.mean(np.square(samples, dtype=np.float64))), 1e-20))


def under_voice_db(mixdown: Mixdown) -> float:
    """How far the bed sits under the voice (dB) over the spans where the voice speaks."""
    assert mixdown.bed is not None
    speaking = np.zeros(len(mixdown.voice), dtype=bool)
    for start, end in mixdown.speech_s:
        speaking[round(start * RATE) : round(end * RATE)] = True
    return level_db(mixdown.voice[speaking]) - level_db(mixdown.bed[speaking])


def main() -> None:
    """Build the soundtrack alone and over each bed, transcribe them, and print the word error rates."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--voice", default="joe")
    parser.add_argument("--music", type=Path, help="one music file instead of the two synthetic beds")
    parser.add_argument("--takes", type=int, default=4, help="readings of the text (Piper's differ)")
    args = parser.parse_args()
    ffmpeg = find_ffmpeg()
    reference = [words_of(text) for text in PARAGRAPHS]
    count = sum(len(words) for words in reference)
    errors: dict[str, int] = {}
    under: dict[str, list[float]] = {}
    seconds: list[float] = []

    with tempfile.TemporaryDirectory(prefix="music-intelligibility-") as name:
        tmp = Path(name)
        if args.music is not None:
            beds = {args.music.name: args.music}
        else:
            beds = {
                "dense bed": dense_bed(tmp / "dense.mp3", ffmpeg),
                "band bed": band_bed(tmp / "band.mp3", ffmpeg),
            }
        synthesizer = VoiceShelf().get(args.voice)
        for take in range(args.takes):
            clips, windows, at = [], [], GAP_S
            for index, text in enumerate(PARAGRAPHS):
                spoken = synthesizer.synthesize(text, tmp / f"take{take}-line{index}.wav")
                clips.append((spoken.path, at))
                # The recogniser hears each line with a little of the soundtrack either side.
                windows.append((max(0.0, at - 0.3), at + spoken.duration_s + 0.3))
                at += spoken.duration_s + GAP_S
            seconds.append(at)
            tracks = {"narration alone": build_soundtrack(clips, at, tmp / "alone.wav", ffmpeg)}
            for index, (label, music) in enumerate(beds.items()):
                mixdown = mix_soundtrack(clips, at, tmp / f"music-{index}.wav", ffmpeg, music=music)
                under.setdefault(label, []).append(under_voice_db(mixdown))
                tracks[label] = mixdown.path
            figures = []
            for label, path in tracks.items():
                heard = transcribe(path, ffmpeg, windows)
                wrong = sum(word_errors(ref, words_of(h)) for ref, h in zip(reference, heard, strict=True))
                errors[label] = errors.get(label, 0) + wrong
                figures.append(f"{label} {wrong / count:.3f}")
            print(f"take {take + 1} ({at:.1f} s, {count} words): WER " + ", ".join(figures), flush=True)

    total = count * args.takes
    alone = errors["narration alone"] / total
    print(
        f"voice {args.voice}, {args.takes} take(s) of {min(seconds):.1f}-{max(seconds):.1f} s, {total} words"
    )
    print(f"{'narration alone':>16}: WER {alone:.3f}")
    for label in beds:
        rate = errors[label] / total
        points = 100 * (rate - alone)
        verdict = "within" if points <= TARGET_POINTS else "OVER"
        print(
            f"{label:>16}: WER {rate:.3f}, {points:+.1f} points ({verdict} the {TARGET_POINTS:g}-point "
            f"target); bed {np.mean(under[label]):.1f} dB under the voice while it speaks"
        )


if __name__ == "__main__":
    main()
