"""The SQLite integrity check: header and size always, quick_check on request; and the services' use of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph.services import Services
from graph.settings import Settings
from tools.errors import BadInput, CheckpointStoreDamaged
from tools.storage.sqlite_integrity import inspect_sqlite_file

PAGE = 4096


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A WAL-mode database of 20-odd pages, closed (so its log is folded back in)."""
    path = tmp_path / "checkpoints.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(bytes(1000),)] * 80)
    conn.commit()
    conn.close()
    assert path.stat().st_size > 10 * PAGE
    return path


def test_a_whole_or_absent_file_has_no_problem(db: Path, tmp_path: Path):
    assert inspect_sqlite_file(db) is None
    assert inspect_sqlite_file(db, deep=True) is None
    missing = tmp_path / "missing.sqlite"
    assert inspect_sqlite_file(missing, deep=True) is None
    assert not missing.exists(), "checking must not create the file"


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda data: b"", "is empty (0 bytes)"),
        (lambda data: b"PK\x03\x04" + data[4:], "is not a SQLite database"),
        (lambda data: data[:50], "shorter than a SQLite header"),
        (lambda data: data[: 3 * PAGE + 10], "not a whole number of 4096-byte pages"),
        (lambda data: data[: 2 * PAGE], "its header says"),
    ],
    ids=["empty", "not sqlite", "short header", "mid-page", "at a page"],
)
def test_the_header_and_size_show_damage_without_opening_it(db: Path, damage, words: str):
    db.write_bytes(damage(db.read_bytes()))
    problem = inspect_sqlite_file(db)
    assert problem is not None and words in problem.what
    assert problem.empty == (words == "is empty (0 bytes)")


def test_a_scribbled_page_takes_the_deep_check(db: Path):
    data = bytearray(db.read_bytes())
    data[PAGE : 2 * PAGE] = b"\xde\xad" * (PAGE // 2)
    db.write_bytes(bytes(data))
    assert inspect_sqlite_file(db) is None, "the header alone cannot see it"
    problem = inspect_sqlite_file(db, deep=True)
    assert problem is not None and problem.what.startswith("is corrupt")


def test_a_file_whose_log_holds_its_newest_pages_is_whole(tmp_path: Path):
    # As a SIGKILL leaves it: the main file is behind, the write-ahead log has the rest.
    path = tmp_path / "checkpoints.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(bytes(1000),)] * 80)
    conn.commit()
    try:
        assert path.with_name(path.name + "-wal").stat().st_size > 0
        assert inspect_sqlite_file(path, deep=True) is None
    finally:
        conn.close()


def test_services_refuse_an_emptied_store_only_while_the_index_lists_runs(home: Path):
    settings = Settings(home=home, redis_url=None)
    settings.checkpoints.write_bytes(b"")
    with Services(settings) as fresh:
        fresh.check_checkpoints(deep=True)  # a blank store beside no runs is a new one

    with Services(settings) as services:
        services.runs.create("r1", "make:r1", "rivers", {"topic": "rivers"})
        with pytest.raises(CheckpointStoreDamaged) as caught:
            services.check_checkpoints()
        assert isinstance(caught.value, BadInput)  # the CLI's exit 2, one line
        assert str(caught.value) == (
            f"checkpoint store {settings.checkpoints} is empty (0 bytes) while the run index lists runs; "
            "restore it from a backup, or move it aside to start fresh"
        )
        services.check_checkpoints(accept_empty=True)


def test_services_check_the_store_before_opening_a_saver(home: Path):
    settings = Settings(home=home, redis_url=None)
    settings.checkpoints.write_bytes(b"garbage " * 1000)
    with Services(settings) as services, pytest.raises(CheckpointStoreDamaged, match="not a SQLite database"):
        _ = services.saver
