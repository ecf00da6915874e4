"""Artifact files: checksums, atomic writes, and reuse of what a run already made."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from state import Artifact

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def content_key(*parts: object) -> str:
    """Return a short stable hash of the inputs that determine an artifact."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:12]


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); artifacts are meant to be shared like any other file.
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> Path:
    """Write text to `target` so that readers never see a half-written file."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def make_artifact(path: Path, tier: str, provider: str) -> Artifact:
    """Describe a finished file as an Artifact."""
    return {"path": str(path), "sha256": sha256_file(path), "tier": tier, "provider": provider}


def reusable(artifact: Artifact | None) -> bool:
    """True when an artifact's file still exists with the checksum recorded for it."""
    if not artifact:
        return False
    path = Path(artifact["path"])
    return path.is_file() and sha256_file(path) == artifact["sha256"]
