"""Locate the ffmpeg binary and run it, turning failures into one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg

from tools.errors import ReelforgeError, ToolUnavailable

_INSTALL_HINT = "install it with: pip install imageio-ffmpeg (or set REELFORGE_FFMPEG to an ffmpeg binary)"

# Lines ffmpeg prints after the real error; they never say what went wrong.
_GENERIC_LINES = (
    "conversion failed",
    "exiting normally",
    "error while filtering",
    "nothing was written",
    "error opening output file",
    "error opening input files",
    "error initializing filter",
)
# "Error opening input files: <reason>" and its output twin carry the errno text; keep that part.
_REASON = re.compile(r"^error opening (?:input|output) files: (.+)$", re.IGNORECASE)
_CONTEXT_PREFIX = re.compile(r"^(?:\[[^\]]* @ 0x[0-9a-f]+\]\s*)+")


class FfmpegFailed(ReelforgeError):
    """An ffmpeg run exited non-zero; the message carries its last meaningful stderr line."""


def find_ffmpeg(override: str | None = None) -> str:
    """Return a working ffmpeg path: `override` (REELFORGE_FFMPEG) if given, else imageio-ffmpeg's binary."""
    override = (override or "").strip()
    if override:
        path = override
    else:
        try:
            path = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as exc:  # imageio-ffmpeg raises RuntimeError and others when no binary ships
            raise ToolUnavailable(
                f"ffmpeg could not be loaded from imageio-ffmpeg: {_one_line(str(exc))}; {_INSTALL_HINT}"
            ) from exc
    return _checked(path)


@lru_cache(maxsize=8)
def _checked(path: str) -> str:
    """Run `<path> -version` once per path; lru_cache does not cache the raised failures."""
    problem = ""
    if not Path(path).is_file():
        problem = "no such file"
    elif not os.access(path, os.X_OK):
        problem = "the file is not executable"
    else:
        try:
            done = subprocess.run([path, "-version"], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            problem = _one_line(str(exc))
        else:
            if done.returncode != 0 or b"ffmpeg version" not in done.stdout:
                problem = f"'-version' exited {done.returncode} without an ffmpeg banner"
    if problem:
        raise ToolUnavailable(f"ffmpeg could not be loaded from {path}: {problem}; {_INSTALL_HINT}")
    return path


def run_ffmpeg(ffmpeg: str, args: list[str], timeout_s: float | None = None) -> str:
    """Run ffmpeg with `args` and return its stderr; raise FfmpegFailed with one line on failure."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except FileNotFoundError as exc:
        message = f"ffmpeg could not be loaded from {ffmpeg}: no such file; {_INSTALL_HINT}"
        raise ToolUnavailable(message) from exc
    except subprocess.TimeoutExpired as exc:
        raise FfmpegFailed(
            f"ffmpeg did not finish within {timeout_s:g} s; check the inputs or raise the timeout"
        ) from exc
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        raise FfmpegFailed(
            f"ffmpeg failed (exit {done.returncode}): {last_error_line(stderr)}; check the inputs and options"
        )
    return stderr


def last_error_line(stderr: str) -> str:
    """Return the last stderr line that says what went wrong, skipping ffmpeg's generic trailers."""
    lines = [_CONTEXT_PREFIX.sub("", line.strip()) for line in stderr.splitlines() if line.strip()]
    reason = next((m.group(1) for line in reversed(lines) if (m := _REASON.match(line))), "")
    for line in reversed(lines):
        if not line.lower().startswith(_GENERIC_LINES):
            if reason and reason.lower() not in line.lower():
                line = f"{line.rstrip('.')} ({reason})"
            return _one_line(line)
    return _one_line(reason) if reason else "no error message"


def _one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a message fits on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
