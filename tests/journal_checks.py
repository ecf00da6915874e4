"""Read a run's execution journal in tests: which nodes started and finished, and how often."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def read_journal(run_dir: Path) -> list[dict]:
    """Every record of `run_dir`/executions.jsonl, skipping a last line that a SIGKILL cut short."""
    path = run_dir / "executions.jsonl"
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return records


def node_starts(run_dir: Path) -> Counter[str]:
    """How often each `agent.node` started."""
    return Counter(f"{r['agent']}.{r['node']}" for r in read_journal(run_dir) if r["event"] == "start")


def finished_nodes(run_dir: Path) -> set[str]:
    """The `agent.node` names that finished successfully at least once."""
    return {f"{r['agent']}.{r['node']}" for r in read_journal(run_dir) if r["event"] == "end" and r["ok"]}
