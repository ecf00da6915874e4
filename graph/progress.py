"""A rich progress display fed by the run's stream: one row per stage, plus scenes and render percent."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

# node name → (row label, row weight); a row completes when its node reports an update.
STAGES: list[tuple[str, str]] = [
    ("plan_request", "Plan the request"),
    ("gather_facts", "Gather sources"),
    ("check_script", "Write and check the script"),
    ("make_scene", "Make scenes (image + voice)"),
    ("plan_timeline", "Time the subtitles"),
    ("mix_soundtrack", "Mix and normalise audio"),
    ("render_scenes", "Render and encode"),
    ("verify_output", "Verify the video"),
    ("publish_gallery", "Publish to the gallery"),
    ("write_run_report", "Write the report"),
]


class StageProgress:
    """Turns stream parts into progress rows on stderr."""

    def __init__(self, console: Console, done: frozenset[str] = frozenset()) -> None:
        """Prepare one row per stage; stages in `done` (from an earlier attempt) start full."""
        self.done = done
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.rows: dict[str, TaskID] = {}

    def __enter__(self) -> StageProgress:
        """Start drawing."""
        self.progress.start()
        for node, label in STAGES:
            self.rows[node] = self.progress.add_task(label, total=100, start=False)
            if node in self.done:
                self._set(node, 100)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop drawing."""
        self.progress.stop()

    def _set(self, node: str, pct: float, description: str | None = None) -> None:
        row = self.rows[node]
        self.progress.start_task(row)
        if description is None:
            self.progress.update(row, completed=pct)
        else:
            self.progress.update(row, completed=pct, description=description)

    def __call__(self, part: dict[str, Any]) -> None:
        """Update rows from one stream part."""
        data = part.get("data")
        if part.get("type") == "custom" and isinstance(data, dict):
            if data.get("stage") == "scene" and data.get("status") == "done":
                row = self.rows["make_scene"]
                done = self.progress.tasks[row].fields.get("done", 0) + 1
                total = int(data.get("of", 1))
                self.progress.update(row, done=done)
                # Name who made the latest scene, so a failover to a lower tier shows while it happens.
                made_by = f" by {data['image']} + {data['voice']}" if data.get("image") else ""
                self._set("make_scene", 100 * done / total, f"Make scenes {done}/{total}{made_by}")
            elif data.get("stage") == "render":
                self._set("render_scenes", float(data.get("pct", 0)))
        elif part.get("type") == "updates" and isinstance(data, dict):
            for node, update in data.items():
                if node in self.rows and node != "make_scene":
                    self._set(node, 100)
                script_tier = (
                    (update or {}).get("tiers", {}).get("script") if isinstance(update, dict) else None
                )
                if node in ("write_script", "revise_script") and script_tier:
                    self.progress.update(
                        self.rows["check_script"], description=f"Write and check the script ({script_tier})"
                    )
