"""RunStepper: step a run from a notebook — pause between sub-agents, inspect and edit state, replay, fork."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import StateSnapshot

from graph.orchestrator import SUB_AGENTS, build_orchestrator
from graph.preflight import preflight, validate_job
from graph.run_ids import check_run_id, new_run_id, thread_id_for
from graph.runner import make_context
from graph.settings import Settings, load_settings
from graph.stores import open_run_index


class RunStepper:
    """Drive one run by hand: it pauses before each sub-agent so you can look and change things."""

    def __init__(
        self,
        run_id: str | None = None,
        settings: Settings | None = None,
        pause_before: Sequence[str] = SUB_AGENTS,
    ) -> None:
        """Open the run's checkpoints in the home folder; a new run id is made when none is given."""
        self.settings = settings or load_settings()
        self.run_id = check_run_id(run_id) if run_id else ""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        saver: BaseCheckpointSaver[Any]
        self._conn: sqlite3.Connection | None = None
        if self.settings.redis_url:
            import redis

            from tools.storage.redis_checkpoints import RedisSaver

            client = redis.Redis.from_url(self.settings.redis_url)
            saver = RedisSaver(client, ttl_s=self.settings.checkpoint_ttl_s)
        else:
            self._conn = sqlite3.connect(self.settings.checkpoints, check_same_thread=False)
            saver = SqliteSaver(self._conn)
            saver.setup()
        self.app = build_orchestrator().compile(checkpointer=saver, interrupt_before=list(pause_before))

    @property
    def config(self) -> RunnableConfig:
        """The thread config of this run."""
        return {"configurable": {"thread_id": thread_id_for(self.run_id)}}

    def start(self, topic: str, **job_fields: Any) -> StateSnapshot:
        """Start a run and stop before the first sub-agent; fields are those of `reelforge make`."""
        job = preflight(self.settings, validate_job(topic=topic, **job_fields))
        self.run_id = self.run_id or new_run_id(job["topic"])
        open_run_index(self.settings).create(self.run_id, thread_id_for(self.run_id), job["topic"], dict(job))
        return self._advance({"job": job})

    def step(self) -> StateSnapshot:
        """Run until the next pause (or the end) and return the state there."""
        return self._advance(None)

    def _advance(self, graph_input: dict[str, Any] | None) -> StateSnapshot:
        context = make_context(self.settings, self.run_id)
        self.app.invoke(graph_input, self.config, context=context, durability="sync")
        snapshot = self.state()
        if not snapshot.next:
            open_run_index(self.settings).set_status(
                self.run_id, "done", video=snapshot.values.get("video", {}).get("video", {}).get("path")
            )
        return snapshot

    def state(self) -> StateSnapshot:
        """The current state, including paused subgraphs."""
        return self.app.get_state(self.config, subgraphs=True)

    def edit(self, values: dict[str, Any], as_node: str) -> StateSnapshot:
        """Change the state as if `as_node` had returned `values`; the run continues from there."""
        self.app.update_state(self.config, values, as_node=as_node)
        return self.state()

    def history(self) -> list[StateSnapshot]:
        """Every checkpoint of the run, newest first."""
        return list(self.app.get_state_history(self.config))

    def fork(self, checkpoint: StateSnapshot, values: dict[str, Any], as_node: str) -> StateSnapshot:
        """Branch from an older checkpoint with changed values; later steps follow the new branch."""
        self.app.update_state(checkpoint.config, values, as_node=as_node)
        return self.state()

    def close(self) -> None:
        """Close the checkpoint database."""
        if self._conn is not None:
            self._conn.close()
