"""The reelforge home folder: checks that it is writable and has room, and per-run locks."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.errors import BadInput, ReelforgeError


def check_home(home: Path, min_free_bytes: int) -> None:
    """Create `home` if needed and fail in one line when it is unwritable or short of disk."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BadInput(
            f"cannot write to the reelforge home {home} ({exc.strerror or exc}); "
            "set REELFORGE_HOME to a writable folder"
        ) from None
    free = shutil.disk_usage(home).free
    if free < min_free_bytes:
        raise BadInput(
            f"only {free / 1e9:.2f} GB free at {home}; a run needs {min_free_bytes / 1e9:.1f} GB; "
            "free some space (e.g. delete old folders in runs/) or set REELFORGE_HOME elsewhere"
        )


def file_in_the_way(path: Path) -> Path | None:
    """The nearest of `path` and its parents that exists but is not a folder (it blocks making folders)."""
    for candidate in (path, *path.parents):
        try:
            if candidate.is_dir():
                return None
            if candidate.exists():
                return candidate
        except OSError:
            return None
    return None


class RunBusy(ReelforgeError):
    """Another process is working on the same run."""


LOCK_NAME = ".lock"
# A reader checking whether a run is alive holds the lock for an instant; a starting run waits that out.
_CONTENDED_WAIT_S = 1.0


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on a run folder so two processes never drive the same run."""
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / LOCK_NAME, "a+")  # noqa: SIM115 - the handle must outlive this statement
    try:
        deadline = time.monotonic() + _CONTENDED_WAIT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunBusy(
                        f"run {run_dir.name} is being worked on by another process; "
                        "wait for it or stop it first"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def run_lock_held(run_dir: Path) -> bool | None:
    """Whether a live process holds the run folder's lock; None when no process ever took it here.

    The kernel drops a flock when its process dies, so a run whose process was killed reads as not held
    at once, on this machine and on a shared home alike.
    """
    try:
        handle = open(run_dir / LOCK_NAME, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        handle.close()
    return False
