"""One short-lived SQLite connection per operation, committed on success and always closed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def sqlite_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """Open `path`, yield the connection inside a transaction, and close it whatever happens."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
