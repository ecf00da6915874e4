"""The soundtrack: narration clips on a timeline, an optional music bed ducked under every line, two-pass
loudness. ffmpeg decodes and normalises; the mix, the ducking and the limiter are numpy gain curves."""

from __future__ import annotations

import json
import math
import struct
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.errors import BadInput, VerificationFailed
from tools.files import atomic_path
from tools.media.ducking import duck_gain, limiter_gain, speech_spans
from tools.media.ffmpeg import run_ffmpeg

RATE = 48_000
_LRA = 11.0
_TRUE_PEAK = -1.5
# The limiter keeps sample peaks this far under the true-peak ceiling: inter-sample peaks overshoot.
_LIMIT_MARGIN_DB = 1.0
_LIMIT = 10 ** ((_TRUE_PEAK - _LIMIT_MARGIN_DB) / 20)
# Aim the pre-gain a little above target so loudnorm's linear pass trims down, which never breaks the
# peak ceiling; raising the gain might, and would push loudnorm into its dynamic mode.
_AIM_ABOVE_DB = 1.5
# Between lines the bed sits BED_BELOW_VOICE_DB under the narration's speaking level (its RMS over the
# spans where it speaks); under each line it sits UNDER_SPEECH_DB under that line (broadcast: 20-25 dB).
BED_BELOW_VOICE_DB = 12.0
UNDER_SPEECH_DB = 24.0
# Whatever the music does under a line, the duck is at least this deep (the bed audibly comes back up
# between lines) and at most this deep.
_MIN_DUCK_DB = 8.0
_MAX_DUCK_DB = 40.0
_MUSIC_GAIN_RANGE_DB = (-60.0, 30.0)
_SILENT_LUFS = -70.0
_SILENT_DBFS = -70.0


@dataclass(frozen=True)
class Mixdown:
    """A written soundtrack and its parts as they are in the file, at 48 kHz: `voice` (mono, in both
    channels) plus `bed` (stereo, None without music) is the file, up to 16-bit rounding and loudnorm's
    resampling. `duck` is the ducking gain the bed got; `speech_s` the (start, end) seconds it ducks under."""

    path: Path
    voice: np.ndarray
    bed: np.ndarray | None
    duck: np.ndarray | None
    speech_s: list[tuple[float, float]]


def wav_duration(path: Path) -> float:
    """Return a WAV file's duration in seconds."""
    try:
        with wave.open(str(path), "rb") as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (OSError, wave.Error, EOFError) as exc:
        raise BadInput(f"cannot read WAV {path}: {exc}; pass a PCM .wav file") from exc


def build_soundtrack(
    clips: list[tuple[Path, float]],
    total_s: float,
    out_path: Path,
    ffmpeg: str,
    music: Path | None = None,
    target_lufs: float = -14.0,
) -> Path:
    """Place narration clips on a timeline, duck optional music under them, and normalise loudness."""
    return mix_soundtrack(clips, total_s, out_path, ffmpeg, music, target_lufs).path


def mix_soundtrack(
    clips: list[tuple[Path, float]],
    total_s: float,
    out_path: Path,
    ffmpeg: str,
    music: Path | None = None,
    target_lufs: float = -14.0,
) -> Mixdown:
    """Write the soundtrack as `build_soundtrack` does; return it with its parts as they are in the file."""
    if total_s <= 0:
        raise BadInput(f"soundtrack length must be positive, got {total_s:g} s; check the scene durations")
    if not clips:
        raise BadInput("no narration clips to mix; synthesise the narration first")
    for path, offset in clips:
        if not Path(path).is_file():
            raise BadInput(f"narration clip not found: {path}; re-run the voice step")
        if offset < 0:
            raise BadInput(f"narration clip {path} starts at {offset:g} s; clip offsets must be >= 0")
    if music is not None and not Path(music).is_file():
        raise BadInput(f"music file not found: {music}; give an existing audio file")

    voice_lufs = _estimate_voice_lufs([path for path, _ in clips])
    if voice_lufs <= _SILENT_LUFS:
        raise VerificationFailed("the narration clips are silent; check the voice engine's output")
    n_samples = round(total_s * RATE)

    with tempfile.TemporaryDirectory(prefix="reelforge-audio-") as tmp_dir:
        folder = Path(tmp_dir)
        voice = _decode_voice(ffmpeg, clips, n_samples, folder / "voice.f32")
        # Known in full before mixing, so the bed goes down ahead of each line rather than after it starts.
        spans = speech_spans(voice, RATE)
        music_bed = None if music is None else _decode_music(ffmpeg, music, n_samples, folder / "music.f32")
        if music_bed is not None and _rms_db(music_bed) <= _SILENT_DBFS:
            raise BadInput(f"music file {music} has no audible audio; give a different file")
        premix = folder / "premix.wav"
        gain = target_lufs + _AIM_ABOVE_DB - voice_lufs
        slope = 0.6  # LU gained per dB of pre-gain once the limiter bites; refined from each attempt
        tried: list[tuple[float, float]] = []
        for _attempt in range(4):
            # The voice is limited first and the bed set against that: a limiter on the sum would take
            # the voice's peaks down and leave the bed, and so undo part of the ducking.
            spoken = voice * np.float32(10 ** (gain / 20))
            spoken *= limiter_gain(np.abs(spoken), _LIMIT, RATE)
            bed = duck = None
            if music_bed is not None:
                bed, duck = _ducked_bed(music_bed, spoken, spans)
            limiter = _write_premix(premix, spoken, bed)
            measured = _measure(ffmpeg, premix, target_lufs)
            loudness = measured["input_i"]
            if loudness <= _SILENT_LUFS:
                raise VerificationFailed("the mixed soundtrack is silent; check the narration and the music")
            # loudnorm stays linear only if its gain keeps the true peak under the ceiling; lowering is
            # always fine, raising is limited by the headroom the limiter left.
            if target_lufs - loudness <= _TRUE_PEAK - measured["input_tp"] - 0.05:
                break
            tried.append((gain, loudness))
            if len(tried) >= 2 and tried[-1][0] != tried[-2][0]:
                observed = (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])
                slope = float(np.clip(observed, 0.2, 1.0))
            gain += (target_lufs + 0.5 - loudness) / slope
        with atomic_path(out_path) as tmp_out:
            final_db = _normalise(ffmpeg, premix, tmp_out, n_samples, measured, target_lufs)
    # The gains after the sum (its limiter, loudnorm's linear pass) are common to both parts.
    scale = limiter * np.float32(10 ** (final_db / 20))
    return Mixdown(
        path=out_path,
        voice=spoken * scale,
        bed=None if bed is None else bed * scale[:, None],
        duck=duck,
        speech_s=[(start / RATE, end / RATE) for start, end in spans],
    )


def _decode_voice(ffmpeg: str, clips: list[tuple[Path, float]], n_samples: int, out: Path) -> np.ndarray:
    """The narration clips resampled to 48 kHz mono and summed at their offsets, `n_samples` long."""
    args: list[str] = []
    parts: list[str] = []
    for index, (path, offset) in enumerate(clips):
        args += ["-i", str(path)]
        delay = round(offset * RATE)
        parts.append(
            f"[{index}:a]aresample={RATE},aformat=sample_fmts=flt:channel_layouts=mono,"
            f"adelay=delays={delay}S:all=1[c{index}]"
        )
    labels = "".join(f"[c{i}]" for i in range(len(clips)))
    # normalize=0: amix would otherwise divide every clip by the input count.
    parts.append(
        f"{labels}amix=inputs={len(clips)}:normalize=0:duration=longest,"
        f"apad=whole_len={n_samples},atrim=end_sample={n_samples}[voice]"
    )
    args += ["-filter_complex", ";".join(parts), "-map", "[voice]"]
    return _fit(_decode(ffmpeg, args, out, 1), n_samples)[:, 0].copy()


def _decode_music(ffmpeg: str, music: Path, n_samples: int, out: Path) -> np.ndarray:
    """The music at 48 kHz stereo, looped to `n_samples`, faded in and out."""
    chain = f"aresample={RATE},aformat=sample_fmts=flt:channel_layouts=stereo,atrim=end_sample={n_samples}"
    # -t as well as atrim: an endless loop of a file that decodes to nothing must still end.
    args = ["-stream_loop", "-1", "-i", str(music), "-vn", "-af", chain, "-t", f"{n_samples / RATE:.6f}"]
    samples = _fit(_decode(ffmpeg, args, out, 2), n_samples)
    total_s = n_samples / RATE
    fade_in, fade_out = round(min(1.0, total_s / 4) * RATE), round(min(1.5, total_s / 4) * RATE)
    samples[:fade_in] *= _ramp(fade_in)[:, None]
    samples[n_samples - fade_out :] *= _ramp(fade_out)[::-1, None]
    return samples


def _decode(ffmpeg: str, args: list[str], out: Path, channels: int) -> np.ndarray:
    """Run ffmpeg on input and filter `args`, writing raw floats to `out`; return them as [n, channels]."""
    run_ffmpeg(ffmpeg, [*args, "-ac", str(channels), "-f", "f32le", "-c:a", "pcm_f32le", "-y", str(out)])
    return np.fromfile(out, dtype="<f4").reshape(-1, channels)


def _fit(samples: np.ndarray, n_samples: int) -> np.ndarray:
    """Exactly `n_samples` rows: cut, or padded with silence."""
    if len(samples) >= n_samples:
        return np.array(samples[:n_samples], dtype=np.float32)
    padded = np.zeros((n_samples, samples.shape[1]), dtype=np.float32)
    padded[: len(samples)] = samples
    return padded


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine fade from 0 to 1 over `length` samples."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * np.arange(length) / max(length, 1)), dtype=np.float32)


def _ducked_bed(
    music: np.ndarray, voice: np.ndarray, spans: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """The bed set under the narration's level and ducked under each line, and its ducking gain."""
    music_db = _rms_db(music)
    speaking = np.concatenate([voice[start:end] for start, end in spans]) if spans else voice
    gain_db = float(np.clip(_rms_db(speaking) - BED_BELOW_VOICE_DB - music_db, *_MUSIC_GAIN_RANGE_DB))
    bed = music * np.float32(10 ** (gain_db / 20))
    # Each line's duck is as deep as that line and the music under it need: loud passages go further down.
    ducks = []
    for start, end in spans:
        depth = _rms_db(bed[start:end]) - (_rms_db(voice[start:end]) - UNDER_SPEECH_DB)
        ducks.append((start, end, float(np.clip(depth, _MIN_DUCK_DB, _MAX_DUCK_DB))))
    duck = duck_gain(ducks, len(bed), RATE)
    return bed * duck[:, None], duck


def _rms_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (per channel, averaged over channels); very low for silence."""
    if samples.size == 0:
        return -200.0
    power = float(np.mean(np.square(samples, dtype=np.float64)))
    return 10 * math.log10(max(power, 1e-20))


def _write_premix(path: Path, voice: np.ndarray, bed: np.ndarray | None) -> np.ndarray:
    """Write voice + bed, peak-limited, as a 32-bit float stereo WAV; return the limiter's gain."""
    mix = np.repeat(voice[:, None], 2, axis=1)
    if bed is not None:
        mix += bed
    # With the voice limited already, this only trims where the bed lifts a voice peak (a fraction of a dB).
    limiter = limiter_gain(np.abs(mix).max(axis=1), _LIMIT, RATE)
    mix *= limiter[:, None]
    data = np.ascontiguousarray(mix, dtype="<f4").tobytes()
    # WAVE_FORMAT_IEEE_FLOAT (3), 2 channels, 4 bytes a sample.
    fmt = struct.pack("<HHIIHH", 3, 2, RATE, RATE * 8, 8, 32)
    with open(path, "wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        handle.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        handle.write(b"data" + struct.pack("<I", len(data)))
        handle.write(data)
    return limiter


def _measure(ffmpeg: str, premix: Path, target_lufs: float) -> dict[str, float]:
    """loudnorm's first pass over the premix: its integrated loudness, true peak, range and gate."""
    return _parse_loudnorm(
        run_ffmpeg(ffmpeg, ["-i", str(premix), "-af", _measure_filter(target_lufs), "-f", "null", "-"])
    )


def _read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV as float32 mono in [-1, 1] and its sample rate."""
    try:
        with wave.open(str(path), "rb") as handle:
            rate, width, channels = handle.getframerate(), handle.getsampwidth(), handle.getnchannels()
            raw = handle.readframes(handle.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise BadInput(f"cannot read WAV {path}: {exc}; pass a PCM .wav file") from exc
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    else:
        raise BadInput(f"unsupported WAV sample width {width * 8} bits in {path}; use 16-bit PCM")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return data, rate


def _estimate_voice_lufs(paths: list[Path]) -> float:
    """Estimate the narration's integrated loudness once upmixed to stereo (gated block RMS, no K-filter)."""
    energies: list[np.ndarray] = []
    for path in paths:
        data, rate = _read_mono(path)
        block = max(1, int(0.4 * rate))
        usable = len(data) // block * block
        if usable == 0:
            if len(data):
                energies.append(np.array([float(np.mean(data.astype(np.float64) ** 2))]))
            continue
        blocks = data[:usable].astype(np.float64).reshape(-1, block)
        energies.append(np.mean(blocks**2, axis=1))
    if not energies:
        return -math.inf
    power = np.concatenate(energies)
    # BS.1770-style gates: an absolute one at -70 LUFS, then a relative one 10 dB under the mean.
    stereo_db = 10 * np.log10(np.maximum(power, 1e-20)) + 3.0
    loud = power[stereo_db > _SILENT_LUFS]
    if loud.size == 0:
        return -math.inf
    mean = float(np.mean(loud))
    gated = loud[10 * np.log10(loud) + 3.0 > 10 * math.log10(mean) + 3.0 - 10.0]
    return 10 * math.log10(float(np.mean(gated))) + 3.0


def _measure_filter(target_lufs: float) -> str:
    """loudnorm as a meter: its JSON (input_i, input_tp, ...) goes to stderr when the graph closes."""
    # Neutral measured_* values pin loudnorm to linear mode with 0 dB gain. In its dynamic mode the same
    # analysis read up to 0.3 LU low here and cost ~10x the CPU; linear mode agrees with ebur128.
    return (
        f"loudnorm=I={target_lufs:.2f}:TP={_TRUE_PEAK:.2f}:LRA={_LRA:.1f}:print_format=json:linear=true"
        f":measured_I={target_lufs:.2f}:measured_TP=-30:measured_LRA=1:measured_thresh=-30"
    )


def _normalise(
    ffmpeg: str, src: Path, out: Path, n_samples: int, measured: dict[str, float], target_lufs: float
) -> float:
    """loudnorm's second pass, a linear gain from the measured values, then exact length at 48 kHz s16;
    return that gain in dB."""
    # loudnorm refuses linear mode when measured LRA is 0 or above the LRA target, and falls back to
    # dynamic compression; LRA only gates that choice in linear mode, so widen it to the measured range.
    lra = min(max(measured["input_lra"], 0.1), 49.0)
    loudness, peak = round(measured["input_i"], 2), round(measured["input_tp"], 2)
    # It also refuses when its gain would lift the true peak over the ceiling: then land a little quieter.
    target = round(min(target_lufs, loudness + _TRUE_PEAK - peak - 0.05), 2)
    loudnorm = (
        f"loudnorm=I={target:.2f}:TP={_TRUE_PEAK:.2f}:LRA={max(_LRA, lra + 1.0):.1f}"
        f":measured_I={loudness:.2f}:measured_TP={peak:.2f}"
        f":measured_LRA={lra:.2f}:measured_thresh={max(measured['input_thresh'], -69.0):.2f}"
        f":linear=true:print_format=json"
    )
    # loudnorm works at 192 kHz internally and emits that rate, hence the aresample after it.
    chain = f"{loudnorm},aresample={RATE},apad=whole_len={n_samples},atrim=end_sample={n_samples}"
    run_ffmpeg(
        ffmpeg,
        [
            "-i",
            str(src),
            "-af",
            chain,
            "-ar",
            str(RATE),
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
            "-f",
            "wav",
            "-y",
            str(out),
        ],
    )
    return target - loudness


def _parse_loudnorm(stderr: str) -> dict[str, float]:
    """Pull loudnorm's JSON block out of ffmpeg's stderr."""
    start = stderr.rfind("{")
    end = stderr.rfind("}")
    if start < 0 or end < start:
        raise VerificationFailed("loudnorm printed no measurement; check that ffmpeg has the loudnorm filter")
    try:
        data = json.loads(stderr[start : end + 1])
    except json.JSONDecodeError as exc:
        raise VerificationFailed("loudnorm printed unreadable JSON; check the ffmpeg build") from exc
    out: dict[str, float] = {}
    for key in ("input_i", "input_tp", "input_lra", "input_thresh", "output_i"):
        value = str(data.get(key, "-inf")).strip()
        out[key] = -math.inf if value in {"-inf", "inf", "nan", ""} else float(value)
    return out
