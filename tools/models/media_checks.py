"""Check that a provider's image, clip or audio really decodes, and bring it to the renderer's shape."""

from __future__ import annotations

import io
import wave

from tools.models.failures import ProviderError

SPEECH_RATE = 22_050  # Piper's rate: every narration clip shares it, whichever provider spoke it.


def normalise_image(data: bytes, width: int, height: int) -> bytes:
    """Decode `data` fully; return an RGB PNG of exactly width x height, cropped around its subject."""
    from PIL import Image, UnidentifiedImageError

    from tools.images.crop import fit_to_subject

    if not data:
        raise ProviderError("empty", "the image is empty")
    try:
        with Image.open(io.BytesIO(data)) as image:
            # A JPEG far larger than the frame decodes at 1/2, 1/4 or 1/8 scale, still covering the frame.
            image.draft("RGB", (width, height))
            image.load()
            fitted = fit_to_subject(image.convert("RGB"), width, height)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ProviderError("bad_content", f"the image does not decode ({type(error).__name__})") from None
    out = io.BytesIO()
    # Level 1: a third of level 3's time for a photograph, and the renderer decodes it as fast.
    fitted.save(out, "PNG", optimize=False, compress_level=1)
    return out.getvalue()


def normalise_speech(data: bytes) -> tuple[bytes, float]:
    """Decode audio in any container PyAV reads; return mono 16-bit WAV at SPEECH_RATE and its seconds."""
    import av
    import numpy as np

    if not data:
        raise ProviderError("empty", "the audio is empty")
    _check_wav_length(data)
    chunks = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise ProviderError("bad_content", "the answer has no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SPEECH_RATE)
            for frame in container.decode(audio=0):
                for piece in resampler.resample(frame):
                    chunks.append(piece.to_ndarray().reshape(-1))
            for piece in resampler.resample(None):
                chunks.append(piece.to_ndarray().reshape(-1))
    except ProviderError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as error:
        raise ProviderError("bad_content", f"the audio does not decode ({type(error).__name__})") from None
    samples = np.concatenate(chunks).astype("<i2") if chunks else np.zeros(0, "<i2")
    seconds = len(samples) / SPEECH_RATE
    if seconds < 0.2:
        raise ProviderError("bad_content", f"the audio is {seconds:.2f} s long; expected speech")
    if int(np.abs(samples.astype(np.int32)).max()) < 300:
        raise ProviderError("bad_content", "the audio is silent")
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SPEECH_RATE)
        handle.writeframes(samples.tobytes())
    return out.getvalue(), seconds


def wav_seconds(data: bytes) -> float:
    """The length of a PCM WAV in seconds, read from its header."""
    with wave.open(io.BytesIO(data), "rb") as handle:
        return handle.getnframes() / float(handle.getframerate())


def _check_wav_length(data: bytes) -> None:
    """A WAV cut short still decodes; its header says how long it should be, so compare."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        return
    try:
        with wave.open(io.BytesIO(data), "rb") as handle:
            expected = handle.getnframes() * handle.getsampwidth() * handle.getnchannels()
            got = len(handle.readframes(handle.getnframes()))
    except (wave.Error, EOFError):
        return  # a WAV the wave module cannot read (float, extensible): PyAV decides
    # 0xFFFFFFFF-style "unknown length" headers from streaming servers give a huge expected size; allow them.
    if got < expected and expected < 0x7FFF0000:
        raise ProviderError("bad_content", f"the WAV is cut short ({got} of {expected} bytes)")


def check_clip(data: bytes, frames: int = 3) -> float:
    """Check a video clip decodes: its first `frames` frames, and packets that run to its stated end (a
    download cut short still opens when its index comes first). Return its length in seconds."""
    import av

    from tools.media.clips import packet_span

    if not data:
        raise ProviderError("empty", "the clip is empty")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise ProviderError("bad_content", "the answer has no video stream")
            stream = container.streams.video[0]
            decoded = 0
            for _frame in container.decode(stream):
                decoded += 1
                if decoded >= frames:
                    break
            if decoded == 0:
                raise ProviderError("bad_content", "the clip has no frames")
            container.seek(0)
            base = stream.time_base
            first, end = packet_span(container, stream)
            stated = stream.duration
    except ProviderError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, EOFError) as error:
        raise ProviderError("bad_content", f"the clip does not decode ({type(error).__name__})") from None
    if base is None or first is None:
        raise ProviderError("bad_content", "the clip has no timed frames")
    if stated and end - first < stated * 0.95:
        raise ProviderError("bad_content", f"the clip is cut short ({float((end - first) * base):.1f} s)")
    return float((end - first) * base)
