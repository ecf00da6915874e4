"""Folders of sources: every text file inside, recursively and in order; hidden things stay hidden."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.errors import BadInput
from tools.sources import read_folder

SENTENCE = "The espresso machine was patented in Turin by Angelo Moriondo in the year 1884."


def _write(path: Path, text: str = SENTENCE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_source_file_recursively_in_order(tmp_path):
    _write(tmp_path / "b.md", f"# Bravo\n\n{SENTENCE}")
    _write(tmp_path / "a.txt")
    _write(
        tmp_path / "notes" / "c.html",
        f"<html><head><title>Charlie</title></head><body><p>{SENTENCE}</p></body></html>",
    )
    _write(tmp_path / "notes" / "deeper" / "d.markdown")
    _write(tmp_path / "photo.png", "not text")
    _write(tmp_path / "report.pdf", "not text")
    _write(tmp_path / ".hidden.md")
    _write(tmp_path / ".git" / "e.md")
    read = read_folder(tmp_path)
    assert [Path(path).relative_to(tmp_path).as_posix() for _, _, path in read] == [
        "a.txt",
        "b.md",
        "notes/c.html",
        "notes/deeper/d.markdown",
    ]
    titles = [title for title, _, _ in read]
    assert titles[1:3] == ["Bravo", "Charlie"]
    assert all(SENTENCE in text for _, text, _ in read)


def test_at_most_limit_files(tmp_path):
    for n in range(5):
        _write(tmp_path / f"{n}.txt")
    assert [Path(path).name for _, _, path in read_folder(tmp_path, limit_files=2)] == ["0.txt", "1.txt"]


def test_a_link_to_a_folder_is_not_followed(tmp_path):
    _write(tmp_path / "a.txt")
    os.symlink(tmp_path, tmp_path / "loop")
    assert len(read_folder(tmp_path)) == 1


@pytest.mark.parametrize("setup", ["empty", "no-sources", "only-hidden"])
def test_a_folder_without_sources(tmp_path, setup):
    if setup == "no-sources":
        _write(tmp_path / "slides.pdf")
    if setup == "only-hidden":
        _write(tmp_path / ".draft.md")
    with pytest.raises(BadInput, match=r"holds no \.txt, \.md or \.html files; add some or give a file$"):
        read_folder(tmp_path)


def test_a_missing_folder_or_a_file(tmp_path):
    with pytest.raises(BadInput, match="source folder not found"):
        read_folder(tmp_path / "nope")
    with pytest.raises(BadInput, match="is not a folder"):
        read_folder(_write(tmp_path / "a.txt"))


def test_an_unreadable_file_inside_is_named(tmp_path):
    _write(tmp_path / "good.txt")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(BadInput, match=r"bad\.txt looks binary"):
        read_folder(tmp_path)
