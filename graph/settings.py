"""Settings for a process: where the home folder is and how much room a run needs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tools.errors import BadInput

DEFAULT_MIN_FREE_GB = 1.0


@dataclass(frozen=True)
class Settings:
    """Paths and limits, read from the environment once per command."""

    home: Path
    min_free_bytes: int
    # Set: checkpoints, the run index, the ledger and the health log live in this Redis (and Celery's
    # broker in the next DB number). Unset: SQLite files under `home`.
    redis_url: str | None = None
    # With Redis: drop a thread's checkpoints this long after its last write (None keeps them until cleanup).
    checkpoint_ttl_s: int | None = None
    # With Redis: how long a dead process's thread lock outlives it.
    lock_ttl_s: float = 30.0

    @property
    def checkpoints(self) -> Path:
        """The SQLite checkpoint database."""
        return self.home / "checkpoints.sqlite"

    @property
    def index(self) -> Path:
        """The SQLite run index."""
        return self.home / "index.sqlite"

    @property
    def ledger(self) -> Path:
        """The SQLite usage ledger and health log of the model router."""
        return self.home / "ledger.sqlite"

    @property
    def runs(self) -> Path:
        """The folder holding one subfolder per run."""
        return self.home / "runs"

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run's artifacts."""
        return self.runs / run_id


def load_settings() -> Settings:
    """Read REELFORGE_HOME (default ~/.local/share/reelforge), REELFORGE_MIN_FREE_GB (1) and REDIS_URL."""
    raw_home = os.environ.get("REELFORGE_HOME") or str(Path.home() / ".local" / "share" / "reelforge")
    min_free_gb = float(os.environ.get("REELFORGE_MIN_FREE_GB", DEFAULT_MIN_FREE_GB))
    return Settings(
        home=Path(raw_home).expanduser().absolute(),
        min_free_bytes=int(min_free_gb * 1e9),
        redis_url=os.environ.get("REDIS_URL") or None,
        checkpoint_ttl_s=_seconds("REELFORGE_CHECKPOINT_TTL_S"),
        lock_ttl_s=float(_seconds("REELFORGE_LOCK_TTL_S") or 30),
    )


def _seconds(variable: str) -> int | None:
    """A positive whole number of seconds from the environment, or None when unset."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise BadInput(f"{variable}={raw!r} is not a whole number of seconds above 0; fix it or unset it")
    return int(raw)
