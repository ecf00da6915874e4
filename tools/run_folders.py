"""Run folders on disk: how many bytes deleting one frees, and deleting it."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path


def freed_bytes(folder: Path) -> int:
    """The bytes that deleting `folder` frees: files hard-linked from elsewhere (the gallery) free nothing."""
    inodes: dict[tuple[int, int], tuple[int, int, int]] = {}
    if not folder.is_dir():
        return 0
    for path in folder.rglob("*"):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            key = (info.st_dev, info.st_ino)
            seen = inodes.get(key, (0, info.st_size, info.st_nlink))[0]
            inodes[key] = (seen + 1, info.st_size, info.st_nlink)
    return sum(size for seen, size, links in inodes.values() if seen >= links)


def remove_folder(folder: Path) -> None:
    """Delete `folder` and everything in it; a folder that is already gone is fine."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
