"""Probe an input media file before a run takes it: does it open, hold an audio stream and decode?"""

from __future__ import annotations

import errno
import stat
from fractions import Fraction
from pathlib import Path

from tools.errors import BadInput

__all__ = ["MAX_MUSIC_S", "MIN_MUSIC_S", "probe_audio"]

# Shorter than this is a click, not a bed to loop; longer is a mistake (a whole album, a broken header).
MIN_MUSIC_S = 0.5
MAX_MUSIC_S = 3 * 3600.0
# Decoding a few frames proves the codec really reads the data; a header alone proves nothing.
_FRAMES_TO_DECODE = 8
_AUDIO_FILES = "an audio file such as .mp3, .m4a, .ogg, .flac or .wav"


def probe_audio(path: Path, min_s: float = MIN_MUSIC_S, max_s: float = MAX_MUSIC_S) -> float:
    """The seconds of audio in `path`; BadInput naming the file when it is not decodable audio of sane length.

    Only regular files are opened: a FIFO or a device would block or never end.
    """
    _check_regular_file(path)
    import av

    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                kinds = ", ".join(sorted({str(stream.type) for stream in container.streams})) or "nothing"
                raise BadInput(f"{path} has no audio stream (it holds {kinds}); give {_AUDIO_FILES}")
            stream = container.streams.audio[0]
            declared = _declared_seconds(container.duration, stream.duration, stream.time_base)
            decoded_s, frames, ended = 0.0, 0, True
            for frame in container.decode(stream):
                frames += 1
                decoded_s += frame.samples / float(frame.sample_rate or 1)
                # Without a declared length, decode until it is clearly long enough (a raw stream).
                if frames >= _FRAMES_TO_DECODE and (declared is not None or decoded_s >= min_s):
                    ended = False
                    break
    except BadInput:
        raise
    except PermissionError:
        raise BadInput(
            f"cannot read {path} (permission denied); fix its permissions or give another file"
        ) from None
    except (av.error.FFmpegError, OSError, ValueError, EOFError, MemoryError) as error:
        raise BadInput(
            f"{path} is not audio that can be decoded ({_reason(error)}); give {_AUDIO_FILES}"
        ) from None
    if frames == 0:
        raise BadInput(f"{path} has an audio stream but no sound in it; give {_AUDIO_FILES}")
    # Decoded to the end, the decoded length is the truth; otherwise trust the header's.
    seconds = decoded_s if ended or declared is None else declared
    if seconds < min_s:
        raise BadInput(
            f"{path} is only {seconds:.2f} s of audio; music needs at least {min_s:g} s (it loops under "
            "the video), so give a longer file"
        )
    if seconds > max_s:
        raise BadInput(
            f"{path} says it is {seconds / 3600:.1f} hours long; music must be under {max_s / 3600:g} "
            "hours, so give a single track"
        )
    return seconds


def _check_regular_file(path: Path) -> None:
    """BadInput for a missing path, a folder, a FIFO, a device or an unreadable file."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise BadInput(f"music file not found: {path}; give an existing audio file") from None
    except OSError as error:
        if error.errno == errno.ENOTDIR:
            raise BadInput(f"music file not found: {path}; give an existing audio file") from None
        raise BadInput(
            f"cannot read {path} ({error.strerror or error}); check the path or give another file"
        ) from None
    mode, size = found.st_mode, found.st_size
    if stat.S_ISDIR(mode):
        raise BadInput(f"{path} is a folder; give {_AUDIO_FILES}")
    if not stat.S_ISREG(mode):
        raise BadInput(f"{path} is not a regular file (a pipe or a device); give {_AUDIO_FILES}")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise BadInput(
            f"cannot read {path} ({(error.strerror or str(error)).lower()}); fix its permissions or give "
            "another file"
        ) from None
    if size == 0:
        raise BadInput(f"{path} is empty; give {_AUDIO_FILES}")


def _declared_seconds(
    container_us: int | None, stream_ticks: int | None, time_base: Fraction | None
) -> float | None:
    """The length the file declares: the container's, else the stream's; None when neither says."""
    if container_us is not None and container_us > 0:
        return container_us / 1_000_000
    if stream_ticks is not None and stream_ticks > 0 and time_base is not None:
        return float(stream_ticks * time_base)
    return None


def _reason(error: BaseException) -> str:
    """FFmpeg's words for what is wrong, without the file name it repeats."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split()).rstrip(".")
