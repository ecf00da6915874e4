"""Tests for the soundtrack with the real ffmpeg: placement, exact length, two-pass loudness and ducking."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from tools.errors import BadInput, VerificationFailed
from tools.media.audio import build_soundtrack, wav_duration
from tools.media.ffmpeg import find_ffmpeg
from tools.media.verify import measure_loudness

VOICE_HZ = 700.0
MUSIC_HZ = 196.0


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    """The real ffmpeg binary."""
    return find_ffmpeg()


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    """Write float samples in [-1, 1] as 16-bit PCM."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return path


def speech_like(path: Path, seconds: float, rate: int = 22050, level: float = 0.3, seed: int = 0) -> Path:
    """A voice stand-in: a 700 Hz buzz with harmonics, syllable-rate bursts and short pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = VOICE_HZ * (1 + 0.03 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    buzz = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)), 0, None) ** 0.5
    pauses = (np.sin(2 * np.pi * 0.45 * t) > -0.8).astype(float)
    # Peaky like real speech: a few loud transients well above the body.
    clicks = np.zeros_like(t)
    clicks[rng.integers(0, len(t), 12)] = 1.0
    return write_wav(path, level * buzz * syllables * pauses / 1.75 + 0.6 * clicks, rate)


def music_bed(path: Path, seconds: float = 2.5, rate: int = 44100) -> Path:
    """A steady stereo 196 Hz tone standing in for a music loop."""
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.25 * np.sin(2 * np.pi * MUSIC_HZ * t)
    return write_wav(path, np.stack([tone, tone], axis=1).ravel(), rate, channels=2)


def read_stereo(path: Path) -> tuple[np.ndarray, int, int, int]:
    """Return (samples as float [n, channels], rate, channels, sample width) of a WAV."""
    with wave.open(str(path), "rb") as handle:
        rate, channels, width = handle.getframerate(), handle.getnchannels(), handle.getsampwidth()
        data = np.frombuffer(handle.readframes(handle.getnframes()), "<i2").astype(np.float64) / 32768
    return data.reshape(-1, channels), rate, channels, width


def band_db(
    samples: np.ndarray, rate: int, lo_hz: float, hi_hz: float, start_s: float, end_s: float
) -> float:
    """Energy (dB) of the left channel between lo_hz and hi_hz within a time window."""
    chunk = samples[int(start_s * rate) : int(end_s * rate), 0]
    spectrum = np.abs(np.fft.rfft(chunk * np.hanning(len(chunk)))) ** 2
    freqs = np.fft.rfftfreq(len(chunk), 1 / rate)
    band = spectrum[(freqs >= lo_hz) & (freqs < hi_hz)].sum()
    return 10 * math.log10(band / len(chunk) ** 2 + 1e-20)


@pytest.mark.parametrize("seconds", [3.0, 5.0])
def test_two_pass_loudnorm_lands_on_minus_14_lufs_at_exact_length(
    tmp_path: Path, ffmpeg: str, seconds: float
) -> None:
    clip = speech_like(tmp_path / "voice.wav", seconds - 0.4, level=0.1)
    out = build_soundtrack([(clip, 0.2)], seconds, tmp_path / "out" / "soundtrack.wav", ffmpeg)
    samples, rate, channels, width = read_stereo(out)
    assert (rate, channels, width) == (48000, 2, 2)
    assert len(samples) == round(seconds * 48000)
    assert wav_duration(out) == pytest.approx(seconds, abs=1e-9)
    assert measure_loudness(out, ffmpeg) == pytest.approx(-14.0, abs=1.0)
    # Linear gain plus a limiter keeps the peaks under the -1.5 dBTP ceiling.
    assert np.abs(samples).max() <= 10 ** (-1.4 / 20)
    assert [p.name for p in out.parent.iterdir()] == ["soundtrack.wav"]


def test_clips_land_at_their_offsets_and_the_total_is_exact(tmp_path: Path, ffmpeg: str) -> None:
    offsets = [0.5, 1.6, 2.7, 3.8, 4.9, 6.0]
    clips = [
        (speech_like(tmp_path / f"c{i}.wav", 0.8, rate=16000 + 6050 * (i % 2), seed=i), o)
        for i, o in enumerate(offsets)
    ]
    out = build_soundtrack(clips, 7.3, tmp_path / "st.wav", ffmpeg)
    samples, rate, _, _ = read_stereo(out)
    assert len(samples) == round(7.3 * 48000)

    def rms_db(a: float, b: float) -> float:
        chunk = samples[int(a * rate) : int(b * rate)]
        return 10 * math.log10(max(float(np.mean(chunk**2)), 1e-12))

    assert rms_db(0.0, 0.45) < -60  # silence before the first clip
    for offset in offsets:
        assert rms_db(offset + 0.1, offset + 0.7) > -30
    assert rms_db(6.9, 7.3) < -60  # padded tail


def test_music_is_ducked_under_the_narration(tmp_path: Path, ffmpeg: str) -> None:
    voice = speech_like(tmp_path / "voice.wav", 2.0, level=0.2)
    music = music_bed(tmp_path / "music.wav")
    out = build_soundtrack([(voice, 1.0), (voice, 6.0)], 9.0, tmp_path / "mix.wav", ffmpeg, music=music)
    samples, rate, _, _ = read_stereo(out)
    # The voice lives above 500 Hz and the music at 196 Hz, so bands separate them in the mix.
    under_voice = band_db(samples, rate, 150, 250, 1.6, 2.8)
    music_only = band_db(samples, rate, 150, 250, 4.0, 5.6)
    speech = band_db(samples, rate, 500, 3000, 1.6, 2.8)
    assert music_only - under_voice > 6, (music_only, under_voice)
    assert 6 < speech - music_only < 18, "between lines the bed is audible but below the voice"
    assert speech - under_voice > 20, "under speech the bed sits at least 20 dB below the voice"
    assert len(samples) == 9 * 48000
    assert measure_loudness(out, ffmpeg) == pytest.approx(-14.0, abs=1.0)


def test_the_same_inputs_mix_to_the_same_bytes(tmp_path: Path, ffmpeg: str) -> None:
    voice = speech_like(tmp_path / "voice.wav", 1.5, level=0.2)
    music = music_bed(tmp_path / "music.wav")
    first, second = (
        build_soundtrack([(voice, 0.5)], 3.0, tmp_path / f"{name}.wav", ffmpeg, music=music).read_bytes()
        for name in ("first", "second")
    )
    assert first == second


def test_silent_music_is_bad_input(tmp_path: Path, ffmpeg: str) -> None:
    voice = speech_like(tmp_path / "voice.wav", 1.0)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(2 * 44100), 44100)
    with pytest.raises(BadInput, match="no audible audio"):
        build_soundtrack([(voice, 0.0)], 2.0, tmp_path / "x.wav", ffmpeg, music=silent)
    assert not (tmp_path / "x.wav").exists()


def test_missing_music_is_bad_input(tmp_path: Path, ffmpeg: str) -> None:
    voice = speech_like(tmp_path / "voice.wav", 1.0)
    missing = tmp_path / "nope.mp3"
    with pytest.raises(BadInput) as info:
        build_soundtrack([(voice, 0.0)], 2.0, tmp_path / "x.wav", ffmpeg, music=missing)
    message = str(info.value)
    assert message == f"music file not found: {missing}; give an existing audio file"
    assert not (tmp_path / "x.wav").exists()


def test_silent_narration_fails_verification(tmp_path: Path, ffmpeg: str) -> None:
    silent = write_wav(tmp_path / "silent.wav", np.zeros(22050), 22050)
    with pytest.raises(VerificationFailed, match="silent"):
        build_soundtrack([(silent, 0.0)], 2.0, tmp_path / "x.wav", ffmpeg)
    assert not (tmp_path / "x.wav").exists()


def test_bad_inputs_say_what_to_fix(tmp_path: Path, ffmpeg: str) -> None:
    voice = speech_like(tmp_path / "voice.wav", 1.0)
    with pytest.raises(BadInput, match="narration clip not found"):
        build_soundtrack([(tmp_path / "gone.wav", 0.0)], 2.0, tmp_path / "x.wav", ffmpeg)
    with pytest.raises(BadInput, match="must be positive"):
        build_soundtrack([(voice, 0.0)], 0.0, tmp_path / "x.wav", ffmpeg)
    with pytest.raises(BadInput, match="offsets must be >= 0"):
        build_soundtrack([(voice, -1.0)], 2.0, tmp_path / "x.wav", ffmpeg)
