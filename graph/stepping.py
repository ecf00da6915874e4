"""RunStepper: step a run from a notebook through the run service: pause, look, edit, answer, fork, regen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.types import StateSnapshot

from graph.preflight import validate_job
from graph.run_ids import check_run_id
from graph.runs import RunOutcome, SyncRunService
from graph.services import open_services
from graph.settings import Settings
from state.events import SUB_AGENTS


class RunStepper:
    """Drive one run by hand: it pauses before each sub-agent (and at the job's gates) so you can look,
    change things, answer the gates, go back to an older checkpoint, or make one scene again."""

    def __init__(
        self,
        run_id: str | None = None,
        settings: Settings | None = None,
        pause_before: Sequence[str] = SUB_AGENTS,
    ) -> None:
        """Open this process's services; a new run id is made at `start` when none is given."""
        self.services = open_services(settings)
        self.runs = SyncRunService(self.services, owner="notebook")
        self.run_id = check_run_id(run_id) if run_id else ""
        self.pause_before = tuple(pause_before)
        self.outcome: RunOutcome | None = None

    def start(self, topic: str, **job_fields: Any) -> StateSnapshot:
        """Start a run and stop before the first sub-agent; fields are those of `reelforge make`."""
        record = self.runs.submit(validate_job(topic=topic, **job_fields), run_id=self.run_id or None)
        self.run_id = record.run_id
        return self.step()

    def step(self) -> StateSnapshot:
        """Run until the next pause, gate or the end, and return the state there."""
        self.outcome = self.runs.execute(self.run_id, pause_before=self.pause_before)
        return self.state()

    @property
    def waiting(self) -> dict[str, Any] | None:
        """What the run waits for at a gate ({"gate", "script", ...}), or None."""
        return self.outcome.waiting if self.outcome is not None else None

    def approve(self, script: dict[str, Any] | None = None) -> StateSnapshot:
        """Approve the gate the run waits at (at the script gate, maybe with an edited script); the run goes
        on to the next pause."""
        self.outcome = self.runs.answer(self.run_id, "approve", script=script, pause_before=self.pause_before)
        return self.state()

    def reject(self, reason: str) -> StateSnapshot:
        """Answer the gate the run waits at with a rejection: the run ends, rejected."""
        self.outcome = self.runs.answer(self.run_id, "reject", reason=reason)
        return self.state()

    def state(self) -> StateSnapshot:
        """The current state, including paused subgraphs."""
        return self.runs.state(self.run_id, subgraphs=True)

    def edit(self, values: dict[str, Any], as_node: str) -> StateSnapshot:
        """Change the state as if `as_node` had returned `values`; the run continues from there."""
        self.runs.fork(self.run_id, values, as_node)
        return self.state()

    def history(self) -> list[StateSnapshot]:
        """Every checkpoint of the run, newest first."""
        return self.runs.history(self.run_id)

    def fork(self, checkpoint: StateSnapshot, values: dict[str, Any], as_node: str) -> StateSnapshot:
        """Branch from an older checkpoint with changed values; the next `step` follows the new branch."""
        checkpoint_id = checkpoint.config["configurable"]["checkpoint_id"]
        self.runs.fork(self.run_id, values, as_node, checkpoint_id=checkpoint_id)
        return self.state()

    def regen(self, scene: int, narration: str | None = None, visual: str | None = None) -> StateSnapshot:
        """Make one scene again and recompose a new video version; the earlier one stays."""
        self.outcome = self.runs.regen(self.run_id, scene, narration=narration, visual=visual)
        return self.state()

    def close(self) -> None:
        """Close the checkpoint database and any Redis pool."""
        self.services.close()
