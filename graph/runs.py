"""The run service: the one module that streams, invokes or inspects the compiled orchestrator.

Every door (the CLI, the workers, the daily plan, notebooks, and the coming API, chat and MCP) submits runs,
follows their events, answers their gates, resumes, forks and regenerates through it. It owns the run
config, the run and thread locks, and the run index's transitions:
`queued → running → waiting | done | failed | stopped | rejected`.

`RunService` is async. `SyncRunService` runs each call to completion for callers without an event loop
(or inside a notebook's, on a helper thread), so it adds no logic of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import structlog
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot, StreamMode
from pydantic import ValidationError

from graph.airtable_status import report_rows
from graph.orchestrator import compile_orchestrator
from graph.preflight import check_targets, preflight, validate_job
from graph.run_events import EventTranslator
from graph.run_ids import new_run_id, thread_id_for
from graph.run_views import closing_event, describe, waiting_of
from graph.services import Services
from graph.settings import Settings
from state import Context, JobRequest, JobSpec, RunEvent, VoiceLibrary
from state.events import EventDraft, draft
from state.gates import GateAnswer
from tools.errors import BadInput, CheckpointStoreDamaged, Interrupted, InvalidField, first_line
from tools.files import remove_partials
from tools.home import check_home, run_lock, run_lock_held
from tools.journal import summarize_journal
from tools.media.ffmpeg import find_ffmpeg
from tools.memory import limit_malloc_arenas
from tools.models.service import ModelRouter
from tools.research import Wikipedia
from tools.secrets import redact
from tools.speech import VoiceShelf
from tools.storage.protocols import EventLog
from tools.storage.run_job import StoredJob, read_job, write_job
from tools.storage.run_records import RunRecord

T = TypeVar("T")
_log = structlog.get_logger("reelforge.runs")
EventSink = Callable[[RunEvent], None]

# `tasks` says when each node starts and what it returned; `custom` carries scene and render progress.
STREAM_MODES: list[StreamMode] = ["tasks", "custom"]
RECURSION_LIMIT = 200
# Threads for sync nodes: every scene of the longest script (8) at once, and the nodes beside them.
NODE_THREADS = 16
# Statuses in which a run is someone's business right now; the rest have settled until a person acts.
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class RunOutcome:
    """Where an attempt left a run: its status, its state, and what a waiting run asks for."""

    run_id: str
    status: str
    values: dict[str, Any]
    waiting: dict[str, Any] | None = None


def _one_line(exc: BaseException) -> str:
    return redact(first_line(exc))


def _ignore(event: RunEvent) -> None:
    pass


def _researcher(settings: Settings) -> Wikipedia | None:
    research = settings.research
    if not research.wikipedia:
        return None
    return Wikipedia(research.wikipedia_url, research.timeout_s, research.max_facts)


def _no_such_run(run_id: str) -> BadInput:
    return BadInput(f"no run called {run_id!r}; list runs with 'reelforge runs'")


def _restart_fix(run_id: str, *, move_aside: bool = False) -> str:
    """What to do when a run's checkpoints cannot be used: bring them back, or start the run over."""
    how = "move it aside and start" if move_aside else "start"
    return f"restore it from a backup, or {how} the run anew with 'reelforge resume {run_id} --restart'"


class RunService:
    """Submit, execute, follow, answer, resume, fork and regenerate runs (async)."""

    def __init__(
        self,
        services: Services,
        *,
        voices: VoiceLibrary | None = None,
        owner: str = "cli",
        handle_signals: bool = False,
    ) -> None:
        """Use `services`; `owner` says who this process is in lock records and events (the host and pid
        are added); `handle_signals` makes SIGTERM stop a run as Ctrl-C does."""
        self.services = services
        self.settings = services.settings
        self.voices = voices or VoiceShelf()
        self.owner = f"{owner}:{socket.gethostname()}:{os.getpid()}"
        self.handle_signals = handle_signals
        # Runs this process has taken on to execute (a server's pool) that may not hold their locks yet.
        self.accepted: set[str] = set()

    # ---- records ---------------------------------------------------------------------------------------

    def find(self, run_id: str) -> RunRecord | None:
        """A run's record with its effective status, or None."""
        if not self.services.has_runs():
            return None
        record = self.services.runs.get(run_id)
        return self._effective(record) if record is not None else None

    def record(self, run_id: str) -> RunRecord:
        """A run's record with its effective status; BadInput for an unknown run, CheckpointStoreDamaged
        for one the index lost (a flushed Redis) while its folder still holds its job."""
        record = self.find(run_id)
        if record is None:
            run_dir = self.settings.run_dir(run_id)
            if read_job(run_dir) is not None:
                index = self.services.checkpoint_store if self.services.uses_redis else self.settings.index
                raise CheckpointStoreDamaged(
                    f"run {run_id} is gone from the run index ({index}) though its folder {run_dir} "
                    "still holds its job",
                    _restart_fix(run_id),
                )
            raise _no_such_run(run_id)
        return record

    def list_runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first, each with its effective status."""
        if not self.services.has_runs():
            return []
        return [self._effective(record) for record in self.services.runs.list(limit)]

    def _effective(self, record: RunRecord) -> RunRecord:
        """A run marked running whose process is gone (killed, rebooted) is stopped, never running."""
        claims_a_process = record.status == "running" or (
            record.status == "queued" and record.place == "local"
        )
        if claims_a_process and record.run_id not in self.accepted and not self._alive(record):
            return replace(record, status="stopped", error=record.error or "the process running it is gone")
        return record

    def _alive(self, record: RunRecord) -> bool:
        # The run folder's flock drops the moment its process dies; Redis's thread lock only at its TTL,
        # so the folder decides when it is here (on this machine or a shared home).
        held = run_lock_held(self.settings.run_dir(record.run_id))
        if held is not None:
            return held
        return bool(self.services.thread_lock_held(record.thread_id))

    # ---- checkpoint integrity --------------------------------------------------------------------------

    def _check_store(self, run_id: str, *, deep: bool = True, restarting: bool = False) -> None:
        """Refuse a damaged checkpoint store, with the fix worded for this run (Services.check_checkpoints).

        A blank store can take a restart as it is; a corrupt one has to be moved aside first.
        """
        try:
            self.services.check_checkpoints(deep=deep, accept_empty=restarting)
        except CheckpointStoreDamaged as exc:
            fix = _restart_fix(run_id, move_aside=not exc.empty)
            raise CheckpointStoreDamaged(exc.what, fix, empty=exc.empty) from None

    def _progress(self, record: RunRecord) -> str | None:
        """What shows the run got past its first checkpoint (its status, or nodes in its journal); None
        for a run that never started a node, which has nothing to lose by starting from its job."""
        if record.status == "waiting":
            return f"waits at the {record.gate or 'a'} gate"
        if record.status in ("done", "rejected"):
            return f"is {record.status}"
        journal = summarize_journal(self.settings.run_dir(record.run_id))
        if journal.finished:
            return f"had finished {len(journal.finished)} steps"
        if journal.starts:
            return "had started its first step"
        return None

    def _refuse_lost(self, record: RunRecord) -> None:
        """Refuse a run with no checkpoint that made progress: going on would redo every finished step
        (with cloud providers, paying for them twice)."""
        progress = self._progress(record)
        if progress is not None:
            raise CheckpointStoreDamaged(
                f"run {record.run_id} {progress}, but its checkpoints are gone from "
                f"{self.services.checkpoint_store}",
                _restart_fix(record.run_id),
            )

    async def _require_checkpoints(self, record: RunRecord) -> None:
        """Refuse (see `_refuse_lost`) when the run's thread has no checkpoint in the saver."""
        async with self.services.async_saver() as saver:
            found = await saver.aget_tuple(self._config(record))
        if found is None:
            self._refuse_lost(record)

    # ---- starting --------------------------------------------------------------------------------------

    async def submit(
        self, job: JobSpec, *, run_id: str | None = None, thread_id: str | None = None, queue: bool = False
    ) -> RunRecord:
        """Check a job's inputs and record it as a queued run; with `queue`, hand it to the workers.

        Raises InvalidField or BadInput, with nothing written, when an input cannot be used.
        """
        if queue and not self.services.uses_redis:
            raise BadInput(
                "--queue needs Redis: set REDIS_URL or pass --redis URL, and start 'reelforge worker'"
            )
        job = preflight(self.settings, job, self.voices)  # type: ignore[arg-type]
        # Before the run id is taken: a retry with the same --run-id works once the store is fixed.
        self.services.check_checkpoints(deep=True)
        run_id = run_id or new_run_id(job["topic"])
        thread_id = thread_id or thread_id_for(run_id)
        self.services.runs.create(
            run_id, thread_id, job["topic"], dict(job), status="queued", place="queue" if queue else "local"
        )
        write_job(self.settings.run_dir(run_id), StoredJob(run_id, thread_id, job["topic"], dict(job)))
        where = "for the workers" if queue else "here"
        self._emit(
            run_id, draft("queued", f"queued {where}: {job['topic']}", place="queue" if queue else "local")
        )
        if queue:
            self._enqueue(run_id)
        return self.record(run_id)

    def _enqueue(self, run_id: str, answer: dict[str, Any] | None = None) -> None:
        from graph.worker import RUN_TASK, build_app

        build_app(self.settings).send_task(RUN_TASK, args=[run_id], kwargs={"answer": answer})

    def workers_online(self, timeout_s: float = 1.0) -> int:
        """How many workers answer a ping on the broker within `timeout_s`."""
        from graph.worker import build_app

        return len(build_app(self.settings).control.ping(timeout=timeout_s) or [])

    # ---- executing -------------------------------------------------------------------------------------

    def _context(self, run_id: str) -> Context:
        settings = self.settings
        return Context(
            run_id=run_id,
            run_dir=settings.run_dir(run_id),
            home=settings.home,
            voices=self.voices,
            ffmpeg=find_ffmpeg(settings.ffmpeg),
            models=ModelRouter(settings.router, self.services.ledger, run_id),
            gallery_url=settings.gallery_url,
            research=_researcher(settings),
            failpoint=settings.failpoint,
            sources=settings.sources,
            allow_private_sources=settings.allow_private_sources,
            publish=settings.publish,
            youtube_token=settings.youtube_token,
            index=self.services.runs,
        )

    @staticmethod
    def _config(record: RunRecord, checkpoint_id: str | None = None) -> RunnableConfig:
        configurable: dict[str, Any] = {"thread_id": record.thread_id}
        if checkpoint_id:
            # A checkpoint of the orchestrator itself (the top namespace), not of a sub-agent.
            configurable.update(checkpoint_id=checkpoint_id, checkpoint_ns="")
        return {"configurable": configurable, "recursion_limit": RECURSION_LIMIT}

    def _emit(
        self, run_id: str, event: EventDraft, sink: EventSink = _ignore, log: EventLog | None = None
    ) -> None:
        stored = (log or self.services.event_log(run_id)).append(event)
        try:
            sink(stored)
        except Exception as exc:  # a door that cannot draw an event must not fail the run
            _log.warning("event_sink_failed", run_id=run_id, error=_one_line(exc))

    async def execute(
        self,
        run_id: str,
        *,
        answer: dict[str, Any] | None = None,
        on_event: EventSink = _ignore,
        pause_before: tuple[str, ...] = (),
        lock_wait_s: float | None = None,
        restart: bool = False,
    ) -> RunOutcome:
        """Drive a run from its last checkpoint (or its job) until it is done, waits at a gate, or fails.

        `answer` ({"interrupt", "response"}) resumes the gate it was given for; an answer an earlier
        attempt already applied is not applied twice. Waits out a dead holder's thread lock (its TTL).
        A run that made progress but has no checkpoint is refused (CheckpointStoreDamaged), unless
        `restart`: its thread's checkpoints are then deleted and it starts again from its job.
        """
        record = self.record(run_id)
        limit_malloc_arenas()
        context = self._context(run_id)
        wait_s = self.settings.lock_ttl_s + 2 if lock_wait_s is None else lock_wait_s
        log = self.services.event_log(run_id)

        def emit(event: EventDraft) -> None:
            self._emit(run_id, event, on_event, log)

        with run_lock(context.run_dir), self.services.thread_lock(record.thread_id, self.owner, wait_s):
            self.services.start_logging()
            # Holding the run's locks: whatever a killed writer left half-written is nobody's any more.
            remove_partials(context.run_dir)
            async with self.services.async_saver() as saver:
                app = compile_orchestrator(saver)
                config = self._config(record)
                if restart:
                    await saver.adelete_thread(record.thread_id)
                snapshot = await app.aget_state(config)
                if not snapshot.values and not restart:
                    self._refuse_lost_here(record, emit)
                graph_input = self._input(record, snapshot, answer)
                self.services.runs.set_status(run_id, "running")
                if restart:
                    started = f"run {run_id} restarted from its job on {self.owner}"
                    emit(draft("started", started, owner=self.owner, restart=True))
                else:
                    emit(draft("started", f"run {run_id} started on {self.owner}", owner=self.owner))
                translate = EventTranslator()
                try:
                    with self._stop_on_sigterm():
                        async for part in app.astream(
                            graph_input,
                            config,
                            context=context,
                            stream_mode=STREAM_MODES,
                            subgraphs=True,
                            durability="sync",
                            version="v2",
                            interrupt_before=list(pause_before) or None,
                        ):
                            for event in translate(dict(part)):
                                emit(event)
                except (asyncio.CancelledError, KeyboardInterrupt):
                    # Nodes still running in worker threads see this and give up before their next step.
                    context.stop.set()
                    hint = f"continue it with: reelforge resume {run_id}"
                    self.services.runs.set_status(run_id, "stopped", error="stopped by a signal")
                    emit(draft("stopped", f"run {run_id} stopped; {hint}", reason="signal"))
                    raise Interrupted(f"run {run_id} stopped; {hint}") from None
                except Exception as exc:
                    context.stop.set()
                    message = _one_line(exc)
                    self._tell_sources(run_id, "failed", {}, message, emit)
                    self.services.runs.set_status(run_id, "failed", error=message)
                    emit(draft("failed", f"run {run_id} failed: {message}", error=message))
                    raise
                return self._settle(run_id, await app.aget_state(config), emit)

    def _refuse_lost_here(self, record: RunRecord, emit: Callable[[EventDraft], None]) -> None:
        """`_refuse_lost` inside an attempt: a run a worker took off the queue ends failed, so its
        followers see why; a stopped, failed or waiting run keeps its status for after a restore."""
        try:
            self._refuse_lost(record)
        except CheckpointStoreDamaged as exc:
            if record.status in ACTIVE:
                self.services.runs.set_status(record.run_id, "failed", error=str(exc))
                emit(draft("failed", f"run {record.run_id} failed: {exc}", error=str(exc)))
            raise

    @staticmethod
    def _input(record: RunRecord, snapshot: StateSnapshot, answer: dict[str, Any] | None) -> Any:
        if answer is not None:
            if answer["interrupt"] in {pending.id for pending in snapshot.interrupts}:
                return Command(resume={answer["interrupt"]: answer["response"]})
            # An attempt that died after applying this answer left it in the checkpoint: just go on.
            return None
        # A run killed before its first checkpoint starts again from its job.
        return None if snapshot.values else {"job": record.job}

    def _settle(self, run_id: str, snapshot: StateSnapshot, emit: Callable[[EventDraft], None]) -> RunOutcome:
        """Record where the stream stopped; the index changes before the last event, so followers agree."""
        values = dict(snapshot.values)
        runs = self.services.runs
        if waiting := waiting_of(snapshot):
            gate = waiting["gate"]
            runs.set_status(run_id, "waiting", gate=gate)
            emit(draft("waiting", f"waiting at the {gate} gate: approve or reject it", **waiting))
            return RunOutcome(run_id, "waiting", values, waiting)
        if snapshot.next:
            # Paused before a node on purpose (a notebook's breakpoint): resumable like any stopped run.
            paused = list(snapshot.next)
            runs.set_status(run_id, "stopped")
            emit(draft("stopped", f"paused before {', '.join(paused)}", reason="paused", next=paused))
            return RunOutcome(run_id, "stopped", values)
        if rejected := values.get("rejected"):
            reason = rejected.get("reason") or "no reason given"
            self._tell_sources(
                run_id, "rejected", values, f"rejected at the {rejected['gate']} gate: {reason}", emit
            )
            runs.set_status(run_id, "rejected", error=f"rejected at the {rejected['gate']} gate: {reason}")
            emit(draft("rejected", f"rejected at the {rejected['gate']} gate: {reason}", **rejected))
            return RunOutcome(run_id, "rejected", values)
        video = ((values.get("video") or {}).get("video") or {}).get("path")
        self._tell_sources(run_id, "done", values, None, emit)
        runs.set_status(run_id, "done", video=video)
        emit(draft("done", f"done: {video}", video=video, degraded=bool(values.get("degraded"))))
        return RunOutcome(run_id, "done", values)

    def _tell_sources(
        self,
        run_id: str,
        status: str,
        values: dict[str, Any],
        error: str | None,
        emit: Callable[[EventDraft], None],
    ) -> None:
        """Write the run's outcome to the Airtable rows it took, before its status says it ended."""
        problem = report_rows(self.settings, self.settings.run_dir(run_id), status, values, error)
        if problem is not None:
            emit(draft("warning", problem))

    def _stop_on_sigterm(self) -> Any:
        """While the stream runs, SIGTERM cancels it like Ctrl-C does (main thread of a CLI process only)."""
        from contextlib import nullcontext

        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return nullcontext()
        return _SigtermCancels(asyncio.get_running_loop(), asyncio.current_task())

    # ---- doors' verbs ----------------------------------------------------------------------------------

    async def resume(
        self, run_id: str, *, on_event: EventSink = _ignore, queue: bool | None = None, restart: bool = False
    ) -> RunOutcome:
        """Continue a stopped or failed run where it stopped: here, or on the workers for a queued run
        (or with `queue`). With `restart`, start it anew instead (see `restart`)."""
        check_home(self.settings.home, self.settings.min_free_bytes)
        if restart:
            return await self.restart(run_id, on_event=on_event)
        record = await self.check_resumable(run_id)
        if queue or (queue is None and record.place == "queue"):
            return self.requeue(run_id)
        return await self.execute(run_id, on_event=on_event)

    async def check_resumable(self, run_id: str) -> RunRecord:
        """The record of a stopped or failed run that can go on; BadInput saying why not otherwise."""
        record = self.record(run_id)
        if record.status == "done":
            raise BadInput(
                f"run {run_id} already finished (video: {record.video}); "
                "start a new one with 'reelforge make'"
            )
        if record.status == "rejected":
            raise BadInput(
                f"run {run_id} was rejected ({record.error}); start a new one with 'reelforge make'"
            )
        if record.status == "waiting":
            raise BadInput(
                f"run {run_id} is waiting at the {record.gate} gate; answer it with "
                f"'reelforge approve {run_id}' or 'reelforge reject {run_id} --reason TEXT'"
            )
        if record.status == "queued" and record.place == "queue":
            raise BadInput(
                f"run {run_id} is queued for the workers; follow it with 'reelforge follow {run_id}'"
            )
        if record.status == "running":
            raise BadInput(
                f"run {run_id} is running on another process; follow it with 'reelforge follow {run_id}'"
            )
        self._check_store(run_id)
        await self._require_checkpoints(record)
        return record

    async def restart(self, run_id: str, *, on_event: EventSink = _ignore) -> RunOutcome:
        """Start a run anew, here, from its job: for a run whose checkpoints were lost (or on purpose).

        The job comes from the run index, or from the run folder's job.json when the index lost the run
        too (a flushed Redis), which makes its record again. The thread's checkpoints are deleted and the
        run goes from its first step; scene files whose content still verifies are reused, not remade.
        """
        self._check_store(run_id, restarting=True)
        record = self.find(run_id) or self._recreate(run_id)
        if record.status in ACTIVE:
            where = "queued for the workers" if record.status == "queued" else "running on another process"
            raise BadInput(f"run {run_id} is {where}; follow it with 'reelforge follow {run_id}'")
        return await self.execute(run_id, on_event=on_event, restart=True)

    def _recreate(self, run_id: str) -> RunRecord:
        """The record of a run the index lost, made again from the job kept in its folder."""
        stored = read_job(self.settings.run_dir(run_id))
        if stored is None:
            raise _no_such_run(run_id)
        self.services.runs.create(run_id, stored.thread_id, stored.topic, stored.job, status="queued")
        return self.record(run_id)

    def requeue(self, run_id: str, answer: dict[str, Any] | None = None) -> RunOutcome:
        """Hand a run (or the answer to its gate) to the workers."""
        self.mark_queued(run_id, f"{'answer' if answer else 'run'} queued for the workers", "queue")
        self._enqueue(run_id, answer)
        return RunOutcome(run_id, "queued", {})

    def mark_queued(self, run_id: str, message: str, place: str) -> None:
        """Record that a run was handed on to go on (its status, and a `queued` event), so a follower who
        comes before it starts waits for it instead of seeing it settled where it was."""
        self.services.runs.set_status(run_id, "queued")
        self._emit(run_id, draft("queued", message, place=place))

    async def answer(
        self,
        run_id: str,
        decision: str,
        *,
        script: dict[str, Any] | None = None,
        reason: str = "",
        on_event: EventSink = _ignore,
        pause_before: tuple[str, ...] = (),
    ) -> RunOutcome:
        """Answer the gate a run waits at: approve (at the script gate, optionally with an edited script)
        or reject. BadInput, with nothing changed, when the run is not waiting or the answer does not fit."""
        answer = await self.check_answer(run_id, decision, script=script, reason=reason)
        if self.record(run_id).place == "queue":
            return self.requeue(run_id, answer)
        return await self.execute(run_id, answer=answer, on_event=on_event, pause_before=pause_before)

    async def check_answer(
        self, run_id: str, decision: str, *, script: dict[str, Any] | None = None, reason: str = ""
    ) -> dict[str, Any]:
        """The answer `execute` takes for the gate the run waits at, checked; BadInput or InvalidField
        when the run is not waiting or the answer does not fit."""
        record = self.record(run_id)
        snapshot = None
        if record.status == "waiting":
            self._check_store(run_id)
            snapshot = await self.state(run_id)
            if not snapshot.values:
                self._refuse_lost(record)
        waiting = waiting_of(snapshot) if snapshot is not None else None
        if waiting is None:
            raise BadInput(
                f"run {run_id} is not waiting at a gate (status: {record.status}); "
                f"see 'reelforge show {run_id}'"
            )
        if script is not None and waiting["gate"] != "script":
            raise BadInput(
                f"run {run_id} waits at the {waiting['gate']} gate; "
                "an edited script only fits the script gate"
            )
        try:
            response = GateAnswer.model_validate({"decision": decision, "script": script, "reason": reason})
        except ValidationError as exc:
            item = exc.errors()[0]
            where = ".".join(str(part + 1) if isinstance(part, int) else str(part) for part in item["loc"])
            raise InvalidField(
                where.removeprefix("script."), str(item["msg"]).removeprefix("Value error, ")
            ) from None
        return {"interrupt": waiting["interrupt"], "response": response.model_dump(mode="json")}

    async def fork(
        self, run_id: str, values: dict[str, Any], as_node: str, *, checkpoint_id: str | None = None
    ) -> str:
        """Branch the run's thread at a checkpoint (default: the latest) as if `as_node` had returned
        `values`; the run then continues from the branch. Returns the new checkpoint's id."""
        record = self.record(run_id)
        if record.status in ACTIVE:
            raise BadInput(f"run {run_id} is {record.status}; wait for it to stop before changing it")
        self._check_store(run_id)
        async with self.services.async_saver() as saver:
            if await saver.aget_tuple(self._config(record)) is None:
                self._refuse_lost(record)
            app = compile_orchestrator(saver)
            config = await app.aupdate_state(self._config(record, checkpoint_id), values, as_node=as_node)
        self.services.runs.set_status(run_id, "stopped")
        return str(config["configurable"]["checkpoint_id"])

    async def regen(
        self,
        run_id: str,
        scene: int,
        *,
        narration: str | None = None,
        visual: str | None = None,
        publish: bool = False,
        on_event: EventSink = _ignore,
    ) -> RunOutcome:
        """Make scene `scene` again (a new take), keep every other artifact, recompose and verify a new
        video version; earlier versions stay. It forks the run's checkpoint, so `history` shows both.
        Targets that have an earlier version get the new one only with `publish`."""
        await self.fork_regen(run_id, scene, narration=narration, visual=visual, publish=publish)
        return await self.execute(run_id, on_event=on_event)

    async def fork_regen(
        self,
        run_id: str,
        scene: int,
        *,
        narration: str | None = None,
        visual: str | None = None,
        publish: bool = False,
    ) -> None:
        """Check a regeneration and fork the run's thread for it (see `regen`); executing is the caller's."""
        record = self.record(run_id)
        if record.status in ACTIVE:
            raise BadInput(
                f"run {run_id} is {record.status}; wait for it to stop before regenerating a scene"
            )
        self._check_store(run_id)
        values = (await self.state(run_id)).values
        if not values:
            self._refuse_lost(record)
        script, scenes = values.get("script"), values.get("scenes") or []
        if not values.get("video") or script is None:
            raise BadInput(f"run {run_id} has no video yet; finish it first with 'reelforge resume {run_id}'")
        count = len(script["scenes"])
        if not 1 <= scene <= count:
            raise InvalidField("scene", f"scene {scene} does not exist; run {run_id} has scenes 1 to {count}")
        for name, text in (("narration", narration), ("visual", visual)):
            if text is not None and not text.strip():
                raise InvalidField(name, f"the new {name} is empty; give some words or leave it out")
        take = max((s.get("variant", 0) for s in scenes if s["index"] == scene), default=0) + 1
        request = {
            "scene": scene,
            "narration": " ".join(narration.split()) if narration else None,
            "visual": " ".join(visual.split()) if visual else None,
            "variant": take,
        }
        # As if DataAcquisition had just finished: ContentGeneration remakes the scene, and the rest follows.
        await self.fork(
            run_id, {"regen": request, "republish": publish, "rejected": None}, "data_acquisition"
        )

    async def publish(
        self, run_id: str, targets: list[str] | None = None, *, on_event: EventSink = _ignore
    ) -> RunOutcome:
        """Publish a finished run's video again where it is not yet: to targets that failed, and to
        `targets` the job did not name. Targets that have this video are never posted to twice."""
        await self.fork_publish(run_id, targets or [])
        return await self.execute(run_id, on_event=on_event)

    async def fork_publish(self, run_id: str, targets: list[str]) -> None:
        """Check a publish request and fork the run's thread for it (see `publish`); the caller executes."""
        record = self.record(run_id)
        if record.status != "done":
            fix = (
                "wait for it"
                if record.status in ACTIVE
                else f"finish it first with 'reelforge resume {run_id}'"
            )
            raise BadInput(f"run {run_id} is {record.status}, not done; {fix}, then publish it")
        self._check_store(run_id)
        values = (await self.state(run_id)).values
        if not values.get("video"):
            self._refuse_lost(record)
        fields = {**JobRequest.from_job(values["job"]).model_dump(), "dry_run": False}
        job = validate_job(**{**fields, "targets": [*values["job"]["targets"], *targets]})
        check_targets(self.settings, job)
        # As if VideoProduction had just finished: Publishing posts where this video is not yet, and the
        # report is written again.
        await self.fork(run_id, {"job": job, "rejected": None}, "video_production")

    # ---- reading ---------------------------------------------------------------------------------------

    async def state(self, run_id: str, *, subgraphs: bool = False) -> StateSnapshot:
        """The run's current state (with paused subgraphs' own states when `subgraphs`)."""
        record = self.record(run_id)
        self._check_store(run_id, deep=False)
        async with self.services.async_saver() as saver:
            return await compile_orchestrator(saver).aget_state(self._config(record), subgraphs=subgraphs)

    async def history(self, run_id: str, *, limit: int | None = None) -> list[StateSnapshot]:
        """Every checkpoint of the run, newest first, forks included."""
        record = self.record(run_id)
        self._check_store(run_id, deep=False)
        async with self.services.async_saver() as saver:
            app = compile_orchestrator(saver)
            return [item async for item in app.aget_state_history(self._config(record), limit=limit)]

    async def view(self, run_id: str) -> dict[str, Any]:
        """What `show --json` prints: the record, where it stopped or what it waits for, scenes, video."""
        record = self.record(run_id)
        snapshot = await self.state(run_id, subgraphs=True) if self.services.has_checkpoints() else None
        return describe(record, snapshot, self.settings.run_dir(run_id))

    def finished_nodes(self, run_id: str) -> frozenset[str]:
        """Nodes that finished in earlier attempts (a progress display starts them full)."""
        finished = summarize_journal(self.settings.run_dir(run_id)).finished
        return frozenset(key.split(".", 1)[1] for key in finished)

    def follower(self, run_id: str, after: int = 0) -> _Follower:
        """A cursor over a run's events from `after` on; BadInput for an unknown run."""
        self.record(run_id)
        return _Follower(self, run_id, after)

    async def events(self, run_id: str, *, after: int = 0, follow: bool = True) -> AsyncIterator[RunEvent]:
        """The run's events from `after` on; with `follow`, then live until it is done, failed, stopped,
        rejected or waiting. A run whose process is gone ends with a `stopped` event."""
        cursor = self.follower(run_id, after)
        while True:
            batch, settled = await asyncio.to_thread(cursor.next_batch, 1.0 if follow else 0.0)
            for event in batch:
                yield event
            if settled or not follow:
                return


class _Follower:
    """Reads a run's events in order and tells when the run has settled."""

    def __init__(self, service: RunService, run_id: str, after: int) -> None:
        self.service, self.run_id, self.after = service, run_id, after
        self.log = service.services.event_log(run_id)
        self.last_kind: str | None = None

    def next_batch(self, wait_s: float) -> tuple[list[RunEvent], bool]:
        """The next events (waiting up to `wait_s` for one), and whether the run has settled: nothing
        more comes until someone acts. A settled run whose log does not end in its status (its process
        was killed, or it predates events) gets one made-up closing event, which is not stored."""
        batch = self._read(wait_s)
        record = self.service.record(self.run_id)
        if record.status in ACTIVE:
            return batch, False
        batch += self._read(0.0)  # written between the read and the status check
        closing = closing_event(record, self.last_kind, self.after)
        if closing is not None:
            batch.append(closing)
            self.after, self.last_kind = closing["seq"], closing["kind"]
        return batch, True

    def _read(self, wait_s: float) -> list[RunEvent]:
        batch = self.log.read(self.after, wait_s)
        if batch:
            self.after, self.last_kind = batch[-1]["seq"], batch[-1]["kind"]
        return batch


class _SigtermCancels:
    """Cancel `task` on SIGTERM for the duration of a with-block (the loop's own handler, not a raise)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any] | None) -> None:
        self.loop, self.task = loop, task

    def __enter__(self) -> None:
        if self.task is not None:
            self.loop.add_signal_handler(signal.SIGTERM, self.task.cancel)

    def __exit__(self, *exc: object) -> None:
        self.loop.remove_signal_handler(signal.SIGTERM)


class ChatThreads:
    """A chat's checkpointed conversation threads: the chat graph is compiled, streamed and inspected here,
    beside the orchestrator, so this module stays the one that runs graphs. The chat door builds it."""

    def __init__(self, services: Services, build: Callable[[], StateGraph[Any, Any, Any, Any]]) -> None:
        """Threads of the graph `build` makes, in `services`' checkpointer."""
        self.services, self.build = services, build

    @asynccontextmanager
    async def open(self) -> AsyncIterator[OpenChat]:
        """The chat graph on a checkpointer made in this event loop, for one turn or one read."""
        async with self.services.async_saver() as saver:
            yield OpenChat(saver, self.build().compile(checkpointer=saver))


@dataclass(frozen=True)
class OpenChat:
    """The chat graph compiled on one open checkpointer."""

    saver: BaseCheckpointSaver[Any]
    app: CompiledStateGraph[Any, Any, Any, Any]

    def turn(self, inputs: Any, config: RunnableConfig, context: Any) -> AsyncIterator[Any]:
        """What the turn's nodes write (custom stream mode), as they write it."""
        return self.app.astream(inputs, config, context=context, stream_mode="custom")

    async def values(self, config: RunnableConfig) -> dict[str, Any]:
        """A thread's current values."""
        return dict((await self.app.aget_state(config)).values)

    async def write(self, config: RunnableConfig, values: dict[str, Any], as_node: str) -> None:
        """Start or change a thread as if `as_node` had returned `values`."""
        await self.app.aupdate_state(config, values, as_node=as_node)


def run_loop() -> asyncio.AbstractEventLoop:
    """A new event loop for a run. LangGraph runs sync nodes on the loop's default executor, which Python
    sizes at cores + 4 (6 threads on 2 cores): too few for a fan-out of up to 8 scenes whose waits (the
    network, the voice) should overlap. Threads start only when needed."""
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(NODE_THREADS, thread_name_prefix="reelforge-node"))
    return loop


def _run_to_end(coroutine: Awaitable[T]) -> T:
    with asyncio.Runner(loop_factory=run_loop) as runner:  # Ctrl-C cancels the run's task: a clean stop
        return runner.run(coroutine)  # type: ignore[arg-type]


def _block(coroutine: Awaitable[T]) -> T:
    """Run `coroutine` to completion from sync code: here, or on a helper thread if a loop already runs."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_to_end(coroutine)
    with ThreadPoolExecutor(1, thread_name_prefix="reelforge-run") as pool:
        return pool.submit(_run_to_end, coroutine).result()


class SyncRunService:
    """The run service for sync callers (the CLI, the daily plan, notebooks): each call runs to the end."""

    def __init__(self, services: Services, *, voices: VoiceLibrary | None = None, owner: str = "cli") -> None:
        """Wrap a RunService that stops on SIGTERM as on Ctrl-C."""
        self.service = RunService(services, voices=voices, owner=owner, handle_signals=True)
        self.services = services

    def find(self, run_id: str) -> RunRecord | None:
        """A run's record with its effective status, or None."""
        return self.service.find(run_id)

    def record(self, run_id: str) -> RunRecord:
        """A run's record with its effective status; BadInput for an unknown run."""
        return self.service.record(run_id)

    def list_runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest runs first, each with its effective status."""
        return self.service.list_runs(limit)

    def submit(
        self, job: JobSpec, *, run_id: str | None = None, thread_id: str | None = None, queue: bool = False
    ) -> RunRecord:
        """See RunService.submit."""
        return _block(self.service.submit(job, run_id=run_id, thread_id=thread_id, queue=queue))

    def execute(
        self, run_id: str, *, on_event: EventSink = _ignore, pause_before: tuple[str, ...] = ()
    ) -> RunOutcome:
        """See RunService.execute."""
        return _block(self.service.execute(run_id, on_event=on_event, pause_before=pause_before))

    def resume(
        self, run_id: str, *, on_event: EventSink = _ignore, queue: bool | None = None, restart: bool = False
    ) -> RunOutcome:
        """See RunService.resume."""
        return _block(self.service.resume(run_id, on_event=on_event, queue=queue, restart=restart))

    def restart(self, run_id: str, *, on_event: EventSink = _ignore) -> RunOutcome:
        """See RunService.restart."""
        return _block(self.service.restart(run_id, on_event=on_event))

    def answer(
        self,
        run_id: str,
        decision: str,
        *,
        script: dict[str, Any] | None = None,
        reason: str = "",
        on_event: EventSink = _ignore,
        pause_before: tuple[str, ...] = (),
    ) -> RunOutcome:
        """See RunService.answer."""
        return _block(
            self.service.answer(
                run_id, decision, script=script, reason=reason, on_event=on_event, pause_before=pause_before
            )
        )

    def fork(
        self, run_id: str, values: dict[str, Any], as_node: str, *, checkpoint_id: str | None = None
    ) -> str:
        """See RunService.fork."""
        return _block(self.service.fork(run_id, values, as_node, checkpoint_id=checkpoint_id))

    def regen(
        self,
        run_id: str,
        scene: int,
        *,
        narration: str | None = None,
        visual: str | None = None,
        publish: bool = False,
        on_event: EventSink = _ignore,
    ) -> RunOutcome:
        """See RunService.regen."""
        return _block(
            self.service.regen(
                run_id, scene, narration=narration, visual=visual, publish=publish, on_event=on_event
            )
        )

    def publish(
        self, run_id: str, targets: list[str] | None = None, *, on_event: EventSink = _ignore
    ) -> RunOutcome:
        """See RunService.publish."""
        return _block(self.service.publish(run_id, targets, on_event=on_event))

    def state(self, run_id: str, *, subgraphs: bool = False) -> StateSnapshot:
        """See RunService.state."""
        return _block(self.service.state(run_id, subgraphs=subgraphs))

    def history(self, run_id: str, *, limit: int | None = None) -> list[StateSnapshot]:
        """See RunService.history."""
        return _block(self.service.history(run_id, limit=limit))

    def view(self, run_id: str) -> dict[str, Any]:
        """See RunService.view."""
        return _block(self.service.view(run_id))

    def finished_nodes(self, run_id: str) -> frozenset[str]:
        """See RunService.finished_nodes."""
        return self.service.finished_nodes(run_id)

    def workers_online(self, timeout_s: float = 1.0) -> int:
        """See RunService.workers_online."""
        return self.service.workers_online(timeout_s)

    def events(self, run_id: str, *, after: int = 0, follow: bool = True) -> Iterator[RunEvent]:
        """See RunService.events."""
        cursor = self.service.follower(run_id, after)
        while True:
            batch, settled = cursor.next_batch(1.0 if follow else 0.0)
            yield from batch
            if settled or not follow:
                return
