"""Tests for media checks: provider images and audio must decode, then take the renderer's shape."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable

import av
import numpy as np
import pytest
from PIL import Image

from tools.models.failures import ProviderError
from tools.models.media_checks import SPEECH_RATE, normalise_image, normalise_speech

RED, GREEN, BLUE = (220, 20, 20), (20, 200, 40), (30, 40, 220)


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def banded(width: int = 300, height: int = 100) -> Image.Image:
    """Red left third, green middle third, blue right third."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(GREEN, (width // 3, 0, 2 * width // 3, height))
    image.paste(BLUE, (2 * width // 3, 0, width, height))
    return image


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def failure(call: Callable[..., object], *args: object) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call(*args)
    return caught.value


# --- images -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_image_becomes_an_rgb_png_of_exactly_the_asked_size(fmt: str):
    data = normalise_image(encoded(banded(), fmt), 64, 96)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = decoded(data)
    assert image.format == "PNG"
    assert image.mode == "RGB"
    assert image.size == (64, 96)


def test_the_cover_crop_keeps_the_centre_when_no_side_stands_out():
    # 300x100 to a square: the scale keeps the height, and with both sides alike the crop keeps the middle.
    # (Which side wins when one does is tests/tools/test_crop.py's business.)
    symmetric = banded()
    symmetric.paste(RED, (200, 0, 300, 100))
    image = decoded(normalise_image(encoded(symmetric, "PNG"), 50, 50))
    assert close(image.getpixel((25, 25)), GREEN)
    assert close(image.getpixel((5, 25)), GREEN)
    assert close(image.getpixel((44, 25)), GREEN)


def test_a_tall_image_is_cropped_top_and_bottom_and_upscaled():
    tall = banded(90, 30).rotate(90, expand=True)  # 30 wide, 90 tall, bands top to bottom
    image = decoded(normalise_image(encoded(tall, "PNG"), 120, 120))
    assert image.size == (120, 120)
    assert close(image.getpixel((60, 60)), GREEN)


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "I;16"])
def test_other_image_modes_are_converted_to_rgb(mode: str):
    source = banded(40, 40).convert("L" if mode == "I;16" else mode).convert(mode)
    if mode == "RGBA":
        source.putalpha(128)
    assert decoded(normalise_image(encoded(source, "PNG"), 20, 20)).mode == "RGB"


def test_a_truncated_png_is_bad_content():
    noisy = Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 200, 3), dtype=np.uint8))
    data = encoded(noisy, "PNG")
    error = failure(normalise_image, data[: len(data) // 2], 64, 64)
    assert error.kind == "bad_content"


def test_an_empty_image_is_empty():
    assert failure(normalise_image, b"", 64, 64).kind == "empty"


@pytest.mark.parametrize(
    "data",
    [b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", b'{"error": "model loading"}'],
)
def test_html_or_json_instead_of_an_image_is_bad_content(data: bytes):
    error = failure(normalise_image, data, 64, 64)
    assert error.kind == "bad_content"
    assert "does not decode" in error.detail


# --- speech -----------------------------------------------------------------------------------------


def tone(seconds: float, rate: int, channels: int = 1, amplitude: int = 8000) -> np.ndarray:
    """A 440 Hz sine as int16 samples, shape (frames, channels)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    return np.repeat(mono[:, None], channels, axis=1)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def encoded_audio(samples: np.ndarray, rate: int, fmt: str, codec: str) -> bytes:
    """Mono int16 samples encoded with PyAV into an in-memory container."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        sample_fmt = stream.codec_context.format.name
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype("<i2"), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=sample_fmt, layout="mono", rate=rate)
        for piece in resampler.resample(frame):
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def read_wav(data: bytes) -> tuple[int, int, int, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as handle:
        frames = np.frombuffer(handle.readframes(handle.getnframes()), "<i2")
        return handle.getnchannels(), handle.getframerate(), handle.getsampwidth(), frames


def test_a_stereo_24khz_wav_becomes_mono_22050_with_the_right_duration():
    data, seconds = normalise_speech(wav_bytes(tone(1.5, 24_000, channels=2), 24_000))
    channels, rate, width, frames = read_wav(data)
    assert (channels, rate, width) == (1, SPEECH_RATE, 2)
    assert seconds == pytest.approx(1.5, abs=0.02)
    assert len(frames) / SPEECH_RATE == pytest.approx(seconds)
    assert int(np.abs(frames.astype(np.int32)).max()) > 3000  # still a tone, not silence


def test_a_wav_cut_in_half_is_bad_content():
    data = wav_bytes(tone(1.0, 24_000), 24_000)
    error = failure(normalise_speech, data[: len(data) // 2])
    assert error.kind == "bad_content"
    assert "cut short" in error.detail


def test_silence_is_bad_content():
    error = failure(normalise_speech, wav_bytes(np.zeros((24_000, 1), "<i2"), 24_000))
    assert error.kind == "bad_content"
    assert "silent" in error.detail


def test_a_clip_too_short_for_speech_is_bad_content():
    error = failure(normalise_speech, wav_bytes(tone(0.1, 24_000), 24_000))
    assert error.kind == "bad_content"
    assert "long" in error.detail


def test_empty_audio_is_empty():
    assert failure(normalise_speech, b"").kind == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"this is not audio, it is an error page " * 50,
        b"<html><body>503 Service Unavailable</body></html>",
        bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)),
    ],
)
def test_garbage_is_bad_content(data: bytes):
    assert failure(normalise_speech, data).kind == "bad_content"


def test_an_image_instead_of_audio_is_bad_content():
    assert failure(normalise_speech, encoded(banded(), "PNG")).kind == "bad_content"


@pytest.mark.parametrize(("fmt", "codec"), [("flac", "flac"), ("mp3", "libmp3lame")])
def test_compressed_audio_decodes_too(fmt: str, codec: str):
    data, seconds = normalise_speech(encoded_audio(tone(1.0, 44_100)[:, 0], 44_100, fmt, codec))
    channels, rate, _, frames = read_wav(data)
    assert (channels, rate) == (1, SPEECH_RATE)
    # MP3 encoders add a little padding at each end.
    assert seconds == pytest.approx(1.0, abs=0.06)
    assert len(frames) == round(seconds * SPEECH_RATE)
