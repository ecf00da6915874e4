"""Keep the process small: fewer malloc arenas, and freed heap memory handed back between stages."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from typing import Any

_M_ARENA_MAX = -8  # from glibc's malloc.h


@cache
def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt  # noqa: B018 - only glibc has both
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas(count: int = 2) -> None:
    """Cap glibc's per-thread malloc arenas, so parallel scene branches do not each keep a heap."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, count)


def release_free_memory() -> None:
    """Collect garbage and ask glibc to return free heap pages (a no-op where there is no glibc)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        # Voice synthesis in parallel branches leaves hundreds of MB free but held by the allocator.
        libc.malloc_trim(0)
