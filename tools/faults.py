"""Failpoints for the fault suite: an armed process kills itself with SIGKILL when it reaches its point."""

from __future__ import annotations

import os
import signal


def failpoint(armed: str | None, here: str) -> None:
    """Die at once, as a power cut would, when `here` is the point this process was armed with."""
    if armed is not None and armed == here:
        os.kill(os.getpid(), signal.SIGKILL)
