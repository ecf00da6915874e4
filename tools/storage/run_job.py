"""A run's job kept in its own folder (`runs/<id>/job.json`), for when the run index loses it.

The index holds each run's job, but with Redis a FLUSHALL takes the index along with the checkpoints;
the folder (journal, scenes, this file) stays, so `resume RUN --restart` can still start the run anew.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.files import write_text_atomic

JOB_FILE = "job.json"


@dataclass(frozen=True)
class StoredJob:
    """What a run was started with: enough to make its index record again."""

    run_id: str
    thread_id: str
    topic: str
    job: dict[str, Any]


def write_job(run_dir: Path, stored: StoredJob) -> None:
    """Keep `stored` in `run_dir`, whole or not at all."""
    write_text_atomic(run_dir / JOB_FILE, json.dumps(asdict(stored), ensure_ascii=False, indent=1))


def read_job(run_dir: Path) -> StoredJob | None:
    """The job kept in `run_dir`, or None when there is none (or it cannot be read as one)."""
    try:
        data = json.loads((run_dir / JOB_FILE).read_text(encoding="utf-8"))
        return StoredJob(str(data["run_id"]), str(data["thread_id"]), str(data["topic"]), dict(data["job"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
