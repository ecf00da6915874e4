"""Things reelforge says once per home, remembered by a marker file there."""

from __future__ import annotations

import os
from pathlib import Path


def already_said(home: Path, name: str) -> bool:
    """Whether the notice `name` was said before in this home."""
    return (home / name).exists()


def say_once(home: Path, name: str) -> bool:
    """Mark the notice `name` as said; True for the one caller that marks it first.

    A home that cannot be written to says it every time: repeating a notice does no harm, hiding it would.
    """
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(home / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError:
        return True
    os.close(fd)
    return True
