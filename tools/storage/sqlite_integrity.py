"""Is a SQLite file whole? Header and size checks that read 100 bytes, and PRAGMA quick_check on request.

A store that trusts a blanked or cut file either fails later with a raw `DatabaseError` or, worse, finds
nothing in it and starts its runs again from scratch; asking first lets the caller say so in one line.
"""

from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_WAL_HEADER_SIZE = 32
# SQLite's own words for a file that is not a database or whose pages do not hold together.
_CORRUPT_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


@dataclass(frozen=True)
class SqliteProblem:
    """What is wrong with a SQLite file, worded to follow its name: "is empty (0 bytes)"."""

    what: str
    # The file is there but has no bytes at all: SQLite would take it as a new, empty database.
    empty: bool = False


def _page_size(header: bytes) -> int | None:
    (raw,) = struct.unpack(">H", header[16:18])
    size = 65536 if raw == 1 else raw
    return size if 512 <= size <= 65536 and size & (size - 1) == 0 else None


def _wal_has_frames(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > _WAL_HEADER_SIZE
    except FileNotFoundError:
        return False


def _header_problem(path: Path, size: int) -> SqliteProblem | None:
    """Problems the first 100 bytes and the file's size show, without opening it as a database."""
    if size == 0:
        return SqliteProblem("is empty (0 bytes)", empty=True)
    with path.open("rb") as handle:
        header = handle.read(_HEADER_SIZE)
    if not header.startswith(SQLITE_HEADER) and not SQLITE_HEADER.startswith(header):
        return SqliteProblem("is not a SQLite database (its first bytes are not a SQLite header)")
    if len(header) < _HEADER_SIZE:
        return SqliteProblem(f"is truncated ({size} bytes, shorter than a SQLite header)")
    page_size = _page_size(header)
    if page_size is None:
        return SqliteProblem("is corrupt (its header gives no valid page size)")
    if size % page_size:
        return SqliteProblem(f"is truncated ({size} bytes, not a whole number of {page_size}-byte pages)")
    (pages,) = struct.unpack(">I", header[28:32])
    # The header's page count holds only while its change counter matches "version valid for"; with a
    # write-ahead log still beside it, the log may hold pages the main file has not received yet.
    counted = pages > 0 and header[24:28] == header[92:96]
    if counted and pages * page_size > size and not _wal_has_frames(path):
        return SqliteProblem(f"is truncated ({size} bytes; its header says {pages * page_size})")
    return None


def _quick_check(path: Path) -> SqliteProblem | None:
    conn = sqlite3.connect(path, timeout=30)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if not str(getattr(exc, "sqlite_errorname", "")).startswith(_CORRUPT_CODES):
            raise  # locked, unreadable, a full disk: not damage, and said better by the caller's own error
        return SqliteProblem(f"is corrupt ({exc})")
    finally:
        conn.close()
    if rows != [("ok",)]:
        first = str(rows[0][0]) if rows else "no answer"
        return SqliteProblem(f"is corrupt (quick_check: {first.splitlines()[0]})")
    return None


def inspect_sqlite_file(path: Path, *, deep: bool = False) -> SqliteProblem | None:
    """What is wrong with the SQLite file at `path`, or None when it is absent or looks whole.

    Always: empty, not SQLite, truncated (checked from the header and the size, in microseconds). With
    `deep`, also PRAGMA quick_check, which reads every page (about 0.5 ms per MB with the file cached).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    problem = _header_problem(path, size)
    if problem is None and deep:
        problem = _quick_check(path)
    return problem
