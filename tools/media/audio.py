"""The soundtrack: narration clips on a timeline, an optional ducked music bed, two-pass loudness."""

from __future__ import annotations

import json
import math
import re
import tempfile
import wave
from pathlib import Path

import numpy as np

from tools.errors import BadInput, VerificationFailed
from tools.files import atomic_path
from tools.media.ffmpeg import run_ffmpeg

RATE = 48_000
_LRA = 11.0
_TRUE_PEAK = -1.5
# The pre-limiter keeps sample peaks this far under the true-peak ceiling: inter-sample peaks overshoot.
_LIMIT_MARGIN_DB = 1.0
# Aim the pre-gain a little above target so loudnorm's linear pass trims down, which never breaks the
# peak ceiling; raising the gain might, and would push loudnorm into its dynamic mode.
_AIM_ABOVE_DB = 1.5
# Between lines the bed sits 12 dB under the voice; under speech the sidechain takes off another 5-14 dB,
# which put it 17-22 dB under Piper narration here.
_MUSIC_BELOW_VOICE_DB = 12.0
_SILENT_LUFS = -70.0


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
    music_gain_db: float | None = None,
) -> Path:
    """Place narration clips on a timeline, duck optional music under them, and normalise loudness."""
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
    music_db = None if music is None else _mean_volume(ffmpeg, music, total_s)
    n_samples = round(total_s * RATE)

    with tempfile.TemporaryDirectory(prefix="reelforge-audio-") as tmp_dir:
        premix = Path(tmp_dir) / "premix.wav"
        gain = target_lufs + _AIM_ABOVE_DB - voice_lufs
        slope = 0.6  # LU gained per dB of pre-gain once the limiter bites; refined from each attempt
        tried: list[tuple[float, float]] = []
        for _attempt in range(4):
            music_gain = music_gain_db
            if music_db is not None and music_gain is None:
                # The bed follows the voice after its pre-gain (stereo loudness = mono RMS + 3 dB).
                music_gain = voice_lufs + gain - 3.0 - _MUSIC_BELOW_VOICE_DB - music_db
            if music_gain is not None:
                music_gain = float(np.clip(music_gain, -60.0, 30.0))
            measured = _premix(ffmpeg, clips, premix, n_samples, gain, music, music_gain, target_lufs)
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
            _normalise(ffmpeg, premix, tmp_out, n_samples, measured, target_lufs)
    return out_path


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


def _mean_volume(ffmpeg: str, path: Path, seconds: float) -> float:
    """RMS level of an audio file's first `seconds`, in dBFS, via volumedetect."""
    seconds = max(seconds, 1.0)
    args = ["-t", f"{seconds:.3f}", "-i", str(path), "-vn", "-af", "volumedetect", "-f", "null", "-"]
    stderr = run_ffmpeg(ffmpeg, args)
    found = re.findall(r"mean_volume:\s*(-?[\d.]+|-inf) dB", stderr)
    if not found or found[-1] == "-inf":
        raise BadInput(f"music file {path} has no audible audio; give a different file")
    return float(found[-1])


def _limiter() -> str:
    """A look-ahead limiter whose ceiling leaves room for inter-sample peaks."""
    limit = 10 ** ((_TRUE_PEAK - _LIMIT_MARGIN_DB) / 20)
    # level=0: alimiter otherwise re-amplifies to full scale; latency=1 keeps the audio in sync.
    return f"alimiter=limit={limit:.5f}:attack=5:release=80:level=0:latency=1"


def _measure_filter(target_lufs: float) -> str:
    """loudnorm as a meter: its JSON (input_i, input_tp, ...) goes to stderr when the graph closes."""
    # Neutral measured_* values pin loudnorm to linear mode with 0 dB gain. In its dynamic mode the same
    # analysis read up to 0.3 LU low here and cost ~10x the CPU; linear mode agrees with ebur128.
    return (
        f"loudnorm=I={target_lufs:.2f}:TP={_TRUE_PEAK:.2f}:LRA={_LRA:.1f}:print_format=json:linear=true"
        f":measured_I={target_lufs:.2f}:measured_TP=-30:measured_LRA=1:measured_thresh=-30"
    )


def _premix(
    ffmpeg: str,
    clips: list[tuple[Path, float]],
    out: Path,
    n_samples: int,
    pre_gain_db: float,
    music: Path | None,
    music_gain_db: float | None,
    target_lufs: float,
) -> dict[str, float]:
    """Mix narration (and ducked music) into a float WAV and measure it with loudnorm's first pass."""
    args: list[str] = []
    parts: list[str] = []
    for index, (path, offset) in enumerate(clips):
        args += ["-i", str(path)]
        delay = round(offset * RATE)
        parts.append(
            f"[{index}:a]aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=mono,"
            f"adelay=delays={delay}S:all=1[c{index}]"
        )
    labels = "".join(f"[c{i}]" for i in range(len(clips)))
    # normalize=0: amix would otherwise divide every clip by the input count.
    parts.append(
        f"{labels}amix=inputs={len(clips)}:normalize=0:duration=longest,"
        f"pan=stereo|c0=c0|c1=c0,volume={pre_gain_db:.3f}dB,"
        f"apad=whole_len={n_samples},atrim=end_sample={n_samples}[voice]"
    )
    if music is not None and music_gain_db is not None:
        total_s = n_samples / RATE
        fade_in = min(1.0, total_s / 4)
        fade_out = min(1.5, total_s / 4)
        args += ["-stream_loop", "-1", "-i", str(music)]
        parts.append("[voice]asplit=2[v][key]")
        parts.append(
            f"[{len(clips)}:a]aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"atrim=end_sample={n_samples},volume={music_gain_db:.3f}dB,"
            f"afade=t=in:d={fade_in:.3f},afade=t=out:st={total_s - fade_out:.3f}:d={fade_out:.3f}[music]"
        )
        # The key is the pre-gained voice (-12..-16 dBFS RMS while speaking), so a fixed threshold works.
        parts.append(
            "[music][key]sidechaincompress=threshold=0.1:ratio=2.5:knee=2:attack=20:release=350:makeup=1[bed]"
        )
        parts.append("[v][bed]amix=inputs=2:normalize=0:duration=first[mix]")
    else:
        parts.append("[voice]anull[mix]")
    parts.append(f"[mix]{_limiter()},asplit=2[out][meas]")
    parts.append(f"[meas]{_measure_filter(target_lufs)}[measured]")
    args += [
        "-filter_complex",
        ";".join(parts),
        "-map",
        "[out]",
        "-c:a",
        "pcm_f32le",
        "-y",
        str(out),
        "-map",
        "[measured]",
        "-f",
        "null",
        "-",
    ]
    return _parse_loudnorm(run_ffmpeg(ffmpeg, args))


def _normalise(
    ffmpeg: str, src: Path, out: Path, n_samples: int, measured: dict[str, float], target_lufs: float
) -> None:
    """loudnorm's second pass: a linear gain from the measured values, then exact length at 48 kHz s16."""
    # loudnorm refuses linear mode when measured LRA is 0 or above the LRA target, and falls back to
    # dynamic compression; LRA only gates that choice in linear mode, so widen it to the measured range.
    lra = min(max(measured["input_lra"], 0.1), 49.0)
    loudnorm = (
        f"loudnorm=I={target_lufs:.2f}:TP={_TRUE_PEAK:.2f}:LRA={max(_LRA, lra + 1.0):.1f}"
        f":measured_I={measured['input_i']:.2f}:measured_TP={measured['input_tp']:.2f}"
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
