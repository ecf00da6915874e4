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
# What marks a file still being written: a kill leaves it behind, and `remove_partials` clears it.
PARTIAL = ".partial-"


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
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}{PARTIAL}", suffix=target.suffix, dir=target.parent
    )
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
    """Describe a finished file as an Artifact, with the size and mtime that make later checks cheap."""
    stat = path.stat()
    return {
        "path": str(path),
        "sha256": sha256_file(path),
        "tier": tier,
        "provider": provider,
        "bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def artifact_problem(artifact: Artifact) -> str | None:
    """What is wrong with an artifact's file now, or None when it is the file that was recorded.

    A file with the recorded size and mtime is taken as is; any other is hashed, so a file that was only
    touched still passes and one rewritten with other bytes does not.
    """
    path = Path(artifact["path"])
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not path.is_file():
        return "not a file"
    if stat.st_size == artifact.get("bytes") and stat.st_mtime_ns == artifact.get("mtime_ns"):
        return None
    if "bytes" in artifact and stat.st_size != artifact["bytes"]:
        how = "truncated" if stat.st_size < artifact["bytes"] else "extended"
        return f"{how} ({stat.st_size} bytes, made as {artifact['bytes']})"
    try:
        if sha256_file(path) == artifact["sha256"]:
            return None
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return "overwritten (its sha256 differs)"


def reusable(artifact: Artifact | None) -> bool:
    """True when an artifact's file still exists with the content recorded for it."""
    return artifact is not None and artifact_problem(artifact) is None


def remove_partials(folder: Path) -> list[Path]:
    """Delete the half-written files a killed writer left under `folder`; return what was removed.

    Only call this while holding the run's lock: then no writer is alive to own them.
    """
    removed = []
    if folder.is_dir():
        for path in folder.rglob(f".*{PARTIAL}*"):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def claim_once(folder: Path, key: str, owner: str) -> bool:
    """Claim `key` for `owner` across processes and threads; True when it is (or already was) the owner's."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha256(key.encode()).hexdigest()[:24]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip() == owner
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(owner)
    return True
