"""What `reelforge show` reports about one run: index row, where it stopped, executions and report."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from graph.checkpointer import open_saver
from graph.orchestrator import compile_orchestrator
from graph.settings import Settings
from graph.stores import existing_run_index
from tools.errors import BadInput
from tools.journal import summarize_journal


def describe_run(settings: Settings, run_id: str) -> dict[str, Any]:
    """Collect one run's facts from the index, the checkpointer and the journal."""
    index = existing_run_index(settings)
    record = index.get(run_id) if index is not None else None
    if record is None:
        raise BadInput(f"no run called {run_id!r}; list runs with 'reelforge runs'")
    with open_saver(settings) as saver:
        snapshot = compile_orchestrator(saver).get_state(
            {"configurable": {"thread_id": record.thread_id}},
            subgraphs=True,
        )
    next_nodes = list(snapshot.next)
    for task in snapshot.tasks:
        if task.state is not None and getattr(task.state, "next", None):
            next_nodes = [f"{task.name}.{name}" for name in task.state.next]  # type: ignore[union-attr]
    run_dir = settings.run_dir(run_id)
    journal = summarize_journal(run_dir)
    report_path = run_dir / "report.json"
    return {
        **asdict(record),
        "next": next_nodes,
        "node_executions": journal.starts,
        "node_seconds": journal.node_seconds,
        "run_dir": str(run_dir),
        "report": json.loads(report_path.read_text()) if report_path.exists() else None,
    }


def render_run(details: dict[str, Any]) -> Any:
    """A rich renderable for `reelforge show`."""
    from rich.console import Group
    from rich.table import Table

    head = Table.grid(padding=(0, 2))
    for key in ("run_id", "status", "topic", "created_at", "updated_at", "video", "run_dir", "error"):
        if details.get(key):
            head.add_row(key.replace("_", " "), str(details[key]))
    if details["next"]:
        head.add_row("resumes at", ", ".join(details["next"]))
    nodes = Table("node", "runs", "seconds", title="Node executions")
    for node, count in details["node_executions"].items():
        nodes.add_row(node, str(count), f"{details['node_seconds'].get(node, 0.0):.2f}")
    return Group(head, nodes)
