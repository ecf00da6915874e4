"""Folders of sources: every .txt, .md and .html file inside, recursively, in a stable order."""

from __future__ import annotations

import os
from pathlib import Path

from tools.errors import BadInput
from tools.sources.files import read_source

SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})
MAX_FILES = 50


def source_files(path: Path) -> list[Path]:
    """The source files under `path`, sorted by their path inside it; hidden files and folders are skipped."""
    found: list[Path] = []
    # os.walk does not follow links to folders, so a link cannot loop or lead outside the folder's tree.
    for folder, subfolders, names in os.walk(path):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in names:
            candidate = Path(folder) / name
            if name.startswith(".") or candidate.suffix.lower() not in SUFFIXES:
                continue
            if candidate.is_file():
                found.append(candidate)
    return sorted(found, key=lambda file: file.relative_to(path).parts)


def read_folder(path: Path, limit_files: int = MAX_FILES) -> list[tuple[str, str, str]]:
    """(title, plain text, path) of the first `limit_files` .txt/.md/.html files in a folder, recursively."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"source folder not found: {path}; check the path")
    if not path.is_dir():
        raise BadInput(f"{path} is not a folder; give a folder of .txt, .md or .html files")
    files = source_files(path)
    if not files:
        raise BadInput(f"{path} holds no .txt, .md or .html files; add some or give a file")
    read: list[tuple[str, str, str]] = []
    for file in files[: max(1, limit_files)]:
        title, text = read_source(file)
        read.append((title, text, str(file)))
    return read
