"""The one way runs execute: start or resume a thread with context, sync durability and v2 streaming."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import StreamMode

from graph.checkpointer import open_saver
from graph.logs import configure_logging
from graph.orchestrator import compile_orchestrator
from graph.router_config import load_router_settings
from graph.run_ids import thread_id_for
from graph.settings import Settings
from graph.stores import existing_run_index, open_ledger, open_run_index, thread_lock
from state import Context, JobSpec, RouterSettings, VoiceLibrary
from tools.errors import BadInput, Interrupted
from tools.home import check_home, run_lock
from tools.journal import summarize_journal
from tools.media.ffmpeg import find_ffmpeg
from tools.memory import limit_malloc_arenas
from tools.models.service import ModelRouter
from tools.secrets import redact
from tools.speech import VoiceShelf

Event = dict[str, Any]
EventSink = Callable[[Event], None]
STREAM_MODES: list[StreamMode] = ["updates", "custom"]


def stream_options(context: Context) -> dict[str, Any]:
    """How every run streams: with its context, sync durability, v2 parts, updates and custom progress."""
    return {
        "context": context,
        "stream_mode": STREAM_MODES,
        "subgraphs": True,
        "durability": "sync",
        "version": "v2",
    }


@dataclass(frozen=True)
class RunResult:
    """A finished run: its id and its final state."""

    run_id: str
    values: dict[str, Any]


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    # SIGTERM takes the same clean path as Ctrl-C: the step in flight is abandoned and the
    # last synced checkpoint stays the resume point.
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def make_context(
    settings: Settings,
    run_id: str,
    voices: VoiceLibrary | None = None,
    router: RouterSettings | None = None,
) -> Context:
    """Build the per-run Context: paths, the voices (loaded on first use), ffmpeg and the model router."""
    router = router or load_router_settings(settings.home)
    return Context(
        run_id=run_id,
        run_dir=settings.run_dir(run_id),
        home=settings.home,
        voices=voices or VoiceShelf(),
        ffmpeg=find_ffmpeg(),
        models=ModelRouter(router, open_ledger(settings), run_id),
    )


def _execute(
    settings: Settings,
    run_id: str,
    thread_id: str,
    graph_input: dict[str, Any] | None,
    on_event: EventSink,
    voices: VoiceLibrary | None = None,
) -> RunResult:
    limit_malloc_arenas()
    index = open_run_index(settings)
    router = load_router_settings(settings.home)
    configure_logging(settings.home, router)
    context = make_context(settings, run_id, voices, router)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}, "recursion_limit": 200}
    owner = f"{socket.gethostname()}:{os.getpid()}:cli"
    # A crashed process's lock expires within its TTL: wait that long before calling the run busy.
    wait_s = settings.lock_ttl_s + 2
    with (
        run_lock(context.run_dir),
        thread_lock(settings, thread_id, owner, wait_s),
        open_saver(settings) as saver,
    ):
        app = compile_orchestrator(saver)
        index.set_status(run_id, "running")
        try:
            with _sigterm_as_interrupt():
                for part in app.stream(graph_input, config, **stream_options(context)):
                    on_event(dict(part))
        except KeyboardInterrupt:
            index.set_status(run_id, "interrupted")
            raise Interrupted(f"run {run_id} stopped; continue it with: reelforge resume {run_id}") from None
        except Exception as exc:
            message = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            index.set_status(run_id, "failed", error=message)
            raise
        values = dict(app.get_state(config).values)
    video = values.get("video", {}).get("video", {}).get("path")
    index.set_status(run_id, "done", video=video)
    return RunResult(run_id=run_id, values=values)


def start_run(
    settings: Settings,
    run_id: str,
    job: JobSpec,
    on_event: EventSink,
    voices: VoiceLibrary | None = None,
    thread_id: str | None = None,
) -> RunResult:
    """Record a new run in the index on `thread_id` (default 'make:<run_id>') and execute it from the top."""
    check_home(settings.home, settings.min_free_bytes)
    index = open_run_index(settings)
    if index.get(run_id) is not None:
        raise BadInput(f"run id {run_id!r} is taken; pick another --run-id or 'reelforge resume {run_id}'")
    thread_id = thread_id or thread_id_for(run_id)
    index.create(run_id, thread_id, job["topic"], dict(job))
    return _execute(settings, run_id, thread_id, {"job": job}, on_event, voices)


@dataclass(frozen=True)
class ResumePlan:
    """What resuming a run starts from: its thread, the graph input and the nodes that already finished."""

    graph_input: dict[str, Any] | None
    finished_nodes: frozenset[str]
    thread_id: str


def plan_resume(settings: Settings, run_id: str) -> ResumePlan:
    """Check that a run can be resumed and say where it picks up; raise BadInput if it cannot."""
    check_home(settings.home, settings.min_free_bytes)
    index = existing_run_index(settings)
    record = index.get(run_id) if index is not None else None
    if record is None:
        raise BadInput(f"no run called {run_id!r}; list runs with 'reelforge runs'")
    if record.status == "done":
        raise BadInput(
            f"run {run_id} already finished (video: {record.video}); start a new one with 'reelforge make'"
        )
    # The thread recorded when the run started: 'make:<run_id>', 'daily:<date>:<slug>', ...
    with open_saver(settings) as saver:
        snapshot = compile_orchestrator(saver).get_state({"configurable": {"thread_id": record.thread_id}})
    finished = summarize_journal(settings.run_dir(run_id)).finished
    # A run killed before its first checkpoint has nothing to resume from: start it again from its job.
    graph_input = None if snapshot.values else {"job": record.job}
    return ResumePlan(graph_input, frozenset(key.split(".", 1)[1] for key in finished), record.thread_id)


def resume_run(
    settings: Settings,
    run_id: str,
    plan: ResumePlan,
    on_event: EventSink,
    voices: VoiceLibrary | None = None,
) -> RunResult:
    """Continue a stopped or crashed run from its last checkpoint, on the thread it started on."""
    return _execute(settings, run_id, plan.thread_id, plan.graph_input, on_event, voices)
