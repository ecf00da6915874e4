"""A rich progress display fed by a run's events: one row per step, plus scenes and render percent."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from state.events import RunEvent

# node name → row label; a row completes when its node finishes.
ROWS: list[tuple[str, str]] = [
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
    """Turns run events into progress rows on stderr."""

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
        self._started: set[str] = set()
        self._scenes_done = 0
        self._closed = False

    def __enter__(self) -> StageProgress:
        """Get ready; drawing starts with the first event, so a command that fails first draws nothing."""
        for node, label in ROWS:
            self.rows[node] = self.progress.add_task(label, total=100, start=False)
            if node in self.done:
                self._set(node, 100)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop drawing."""
        if self.progress.live.is_started:
            self.progress.stop()

    def _set(self, node: str, pct: float, description: str | None = None) -> None:
        row = self.rows[node]
        self._started.add(node)
        self.progress.start_task(row)
        if description is None:
            self.progress.update(row, completed=pct)
        else:
            self.progress.update(row, completed=pct, description=description)

    def __call__(self, event: RunEvent) -> None:
        """Update rows from one run event."""
        if self._closed:
            return
        if not self.progress.live.is_started:
            self.progress.start()
        kind, node, data = event["kind"], event["node"], event["data"]
        if kind == "scene_made":
            total = int(data.get("of", 1))
            made_by = f" by {data['image']} + {data['voice']}" if data.get("image") else ""
            if data.get("take"):
                # A regenerated scene: the others were made before and stay as they are.
                label = f"Make scene {event['scene']} again (take {data['take']}){made_by}"
                self._set("make_scene", 100, label)
                return
            self._scenes_done += 1
            done = self._scenes_done
            # Name who made the latest scene, so a failover to a lower tier shows while it happens.
            self._set("make_scene", 100 * done / total, f"Make scenes {done}/{total}{made_by}")
        elif kind == "progress" and node == "render_scenes":
            self._set("render_scenes", float(data.get("pct", 0)))
        elif kind == "node_finished" and node in self.rows and node != "make_scene":
            self._set(node, 100)
        elif kind in ("waiting", "rejected", "failed", "stopped", "done"):
            self._close(event)
        elif kind == "warning":
            # Said when it happens, above the rows: an outline or a fallback is news before the video is.
            self.progress.console.print(f"warning: {event['message']}", style="yellow", highlight=False)
        elif kind == "artifact_made" and data.get("artifact") == "script":
            self.progress.update(self.rows["check_script"], description=f"Script by {data['tier']}")

    def _close(self, event: RunEvent) -> None:
        """The attempt ended (done, or stopped at a gate): rows that never started go."""
        self._closed = True
        for node in [node for node in self.rows if node not in self._started]:
            self.progress.remove_task(self.rows.pop(node))
