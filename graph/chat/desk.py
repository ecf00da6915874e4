"""ChatDesk: what the chat does for a line, over Operations, with the conversation's memory.

The rule parser and the tool-calling agent both act through this one desk, so a video made either way
gets the same defaults and checks, and both remember the same things (the last run, a pending gate).
Each verb returns the words to say; errors are raised as our one-line errors for the caller to word.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from graph.chat import rules
from graph.chat.thread import Follow, Pending
from graph.operations import Operations
from state import JobRequest
from state.events import TERMINAL_KINDS, RunEvent
from state.requests import first_problem
from tools.errors import BadInput, InvalidField, first_line
from tools.models.pricing import savings_words

ChatItem = dict[str, Any]
Emit = Callable[[ChatItem], None]

# How long to read a run's past events to find where they end before acting on it; a run that is still
# going does not end, and the action then refuses it anyway.
LAST_EVENT_WAIT_S = 2.0
# The job fields a chat sets: the same names as the API's and JobRequest's.
JOB_FIELDS = frozenset(JobRequest.model_fields)
_NO_TOPIC = "what should the video be about? say 'make a video about …' with the settings you want"


def problem_words(exc: Exception) -> str:
    """One of our errors as the chat says it: one line, what went wrong and what is accepted."""
    if isinstance(exc, InvalidField):
        # A job's problems name their setting and what it accepts ("unknown language 'es'; choose one of
        # en"); others (a scene of an edited script) need the field named.
        named = exc.field in JOB_FIELDS or exc.problem.startswith(("unknown", "the "))
        return exc.problem if named else f"{exc.field}: {exc.problem}"
    return first_line(exc)


def money(usd: float) -> str:
    """Dollars as a person reads them: cents, or four places for a fraction of a cent."""
    return f"${usd:.2f}" if usd == 0 or abs(usd) >= 0.01 else f"${usd:.4f}"


def since_of(since: str | None, now: datetime | None = None) -> str:
    """A cost period as Operations.costs takes it: 'today' and 'yesterday' become dates (UTC)."""
    now = now or datetime.now(UTC)
    if since in (None, ""):
        return "7d"
    if since == "today":
        return now.date().isoformat()
    if since == "yesterday":
        return (now - timedelta(days=1)).date().isoformat()
    return since


@dataclass
class Memory:
    """What the conversation remembers, read from its thread at the start of a turn and written back."""

    last_run: str | None = None
    pending: Pending | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    review: bool = False
    follow: list[Follow] = field(default_factory=list)

    @classmethod
    def of(cls, state: dict[str, Any]) -> Memory:
        """The memory held in a chat thread's state."""
        return cls(
            last_run=state.get("last_run"),
            pending=copy.deepcopy(state.get("pending")),
            defaults=dict(state.get("defaults") or {}),
            review=bool(state.get("review", False)),
            follow=list(state.get("follow") or []),
        )

    def update(self) -> dict[str, Any]:
        """The state update that writes this memory back (defaults and review are the door's to set)."""
        return {"last_run": self.last_run, "pending": self.pending, "follow": self.follow}


_STATUS_WORDS = {
    "failed": "failed",
    "stopped": "stopped",
    "rejected": "was rejected",
    "waiting": "waits for an answer",
}


def _ignore(item: ChatItem) -> None:
    pass


class ChatDesk:
    """The chat's verbs: each one acts through Operations, updates the memory and returns what to say."""

    def __init__(self, ops: Operations, memory: Memory, emit: Emit = _ignore) -> None:
        """Act with `ops` for a conversation whose memory is `memory`; `emit` sends items to the door."""
        self.ops = ops
        self.memory = memory
        self.emit = emit

    # ---- which run -------------------------------------------------------------------------------------

    def _run(self, run_id: str | None, *, gate_first: bool = False) -> str:
        named = None if run_id in (None, "", "last", "it", "that") else run_id
        if named is not None:
            return named
        pending = self.memory.pending
        if gate_first and pending is not None:
            return pending["run_id"]
        if self.memory.last_run:
            return self.memory.last_run
        if pending is not None:
            return pending["run_id"]
        raise BadInput("which run? this conversation has no run yet; name one (say 'list runs' to see them)")

    async def _last_seq(self, run_id: str) -> int:
        """The number of the run's last stored event, so following after an action shows only what is new."""
        last = 0
        try:
            async with asyncio.timeout(LAST_EVENT_WAIT_S):
                async for event in self.ops.follow(run_id, poll_s=0.2):
                    if not event["data"].get("from_record"):
                        last = max(last, event["seq"])
        except TimeoutError:
            pass
        return last

    def _started(self, record: dict[str, Any], after: int) -> None:
        run_id = record["run_id"]
        self.memory.last_run = run_id
        if self.memory.pending is not None and self.memory.pending["run_id"] == run_id:
            self.memory.pending = None
        self.memory.follow.append({"run_id": run_id, "after": after})
        self.emit({"type": "run", "run_id": run_id, "status": record["status"]})

    # ---- making ----------------------------------------------------------------------------------------

    def job_fields(self, request: str | None, fields: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The chat line and job fields a video is made from: what the line says (read by the rules),
        then the fields given, over the conversation's defaults; the script gate when the conversation
        or the line asks for review."""
        given = {key: value for key, value in fields.items() if value is not None}
        review = given.pop("review", None)
        if request:
            said = rules.make_fields(request)
            request = said.pop("request")
            review = said.pop("review", review)
            given = {**said, **given}
        unknown = sorted(set(given) - JOB_FIELDS)
        if unknown:
            raise BadInput(f"a video has no setting called {unknown[0]!r}; say 'help' for what you can set")
        job = {**{k: v for k, v in self.memory.defaults.items() if k in JOB_FIELDS}, **given}
        if "gates" not in given:
            wanted = self.memory.review if review is None else review
            gates = [gate for gate in job.get("gates", []) if gate != "script"]
            job["gates"] = (["script"] if wanted else []) + gates
        return request, job

    @staticmethod
    def check_settings(job: dict[str, Any]) -> None:
        """InvalidField for the first setting the job cannot take, before a missing topic: 'in Spanish'
        deserves its own answer even when the line did not say what the video is about."""
        try:
            JobRequest(**{**job, "topic": "a topic"})
        except ValidationError as exc:
            raise InvalidField(*first_problem(exc)) from None

    async def make_video(self, request: str | None = None, **fields: Any) -> str:
        """Start a video from a chat line and/or job fields; follow it to the end of the turn."""
        request, job = self.job_fields(request, fields)
        self.check_settings(job)
        if not request and not job.get("topic"):
            raise BadInput(_NO_TOPIC)
        try:
            record = await self.ops.make_video(request, **job)
        except InvalidField as exc:
            if exc.field == "topic" and "empty" in exc.problem:
                raise BadInput(_NO_TOPIC) from None
            raise
        self._started(record, 0)
        spec = record["job"]
        gates = spec.get("gates") or []
        stops = " It will stop at the script for your approval." if "script" in gates else ""
        draft = ", preview" if spec.get("preview") else ""
        return (
            f"Started run {record['run_id']}: a {spec['duration_s']} s {spec['aspect']} video about "
            f"{spec['topic']} ({spec['voice']} voice{draft}).{stops}"
        )

    # ---- reading ---------------------------------------------------------------------------------------

    def list_runs(self, limit: int = 10, status: str | None = None) -> str:
        """The newest runs, one line each."""
        rows = self.ops.list_runs(max(1, min(limit, 100)), status)
        if not rows:
            which = f"{status} " if status else ""
            return f"There are no {which}runs yet; say 'make a video about …' to start one."
        lines = [f"{len(rows)} {'run' if len(rows) == 1 else 'runs'}, newest first:"]
        for row in rows:
            gate = f" ({row['gate']})" if row.get("status") == "waiting" and row.get("gate") else ""
            lines.append(f"- {row['run_id']}  {row['status']}{gate}  {row['topic'][:40]}")
        return "\n".join(lines)

    async def show_run(self, run_id: str | None = None) -> str:
        """A run's status, video, scenes and what it waits for; a waiting run asks for its answer again."""
        run = self._run(run_id)
        info = await self.ops.show_run(run)
        self.memory.last_run = run
        lines = [f"Run {run} ({info['topic']}) {_STATUS_WORDS.get(info['status'], 'is ' + info['status'])}."]
        if info.get("video"):
            lines.append(f"Video: {info['video']['path']} ({info['video'].get('duration_s', 0):.0f} s).")
        if info.get("scenes"):
            lines.append(f"Scenes made: {len(info['scenes'])}.")
        if len(info.get("videos") or []) > 1:
            lines.append(f"Versions of the video: {len(info['videos'])}.")
        if info.get("error") and info["status"] in ("failed", "stopped", "rejected"):
            lines.append(f"Why: {info['error']}.")
        if info["status"] in ("failed", "stopped"):
            lines.append("Say 'resume' to go on where it stopped.")
        if info.get("waiting"):
            self.ask(run, info["waiting"])
        return " ".join(lines)

    async def follow(self, run_id: str | None = None) -> str:
        """Follow a run that is still going; say how a settled one ended (asking again at a gate)."""
        run = self._run(run_id)
        info = await self.ops.show_run(run)
        self.memory.last_run = run
        if info["status"] in ("queued", "running"):
            self.memory.follow.append({"run_id": run, "after": 0})
            return f"Following run {run} ({info['topic']})."
        return await self.show_run(run)

    # ---- acting ----------------------------------------------------------------------------------------

    async def resume(self, run_id: str | None = None) -> str:
        """Continue a stopped or failed run where it stopped, and follow it."""
        run = self._run(run_id)
        after = await self._last_seq(run)
        record = await self.ops.resume(run)
        self._started(record, after)
        return f"Resuming run {run} where it stopped."

    @contextmanager
    def _forget_gate_unless_waiting(self, run: str) -> Iterator[None]:
        """A gate answered elsewhere (the dashboard, the CLI) is no longer this chat's to answer."""
        try:
            yield
        except InvalidField:
            raise  # the edited script does not fit: the gate still waits for a better one
        except BadInput:
            if self._pending_for(run) is not None:
                self.memory.pending = None
            raise

    def _pending_for(self, run: str) -> Pending | None:
        pending = self.memory.pending
        return pending if pending is not None and pending["run_id"] == run else None

    async def approve(self, run_id: str | None = None) -> str:
        """Approve the gate the run waits at, with the script as edited in this chat if it was."""
        run = self._run(run_id, gate_first=True)
        pending = self._pending_for(run)
        script = pending["script"] if pending is not None and pending["edited"] else None
        after = await self._last_seq(run)
        with self._forget_gate_unless_waiting(run):
            record = await self.ops.approve(run, script)
        self._started(record, after)
        edited = " with your edits" if script is not None else ""
        return f"Approved{edited}; run {run} goes on."

    async def reject(self, run_id: str | None = None, reason: str = "") -> str:
        """Reject the gate the run waits at; the run ends as rejected."""
        run = self._run(run_id, gate_first=True)
        after = await self._last_seq(run)
        with self._forget_gate_unless_waiting(run):
            record = await self.ops.reject(run, reason)
        self._started(record, after)
        return f"Rejected run {run}" + (f": {reason}." if reason else ".")

    async def _waiting(self, run: str) -> dict[str, Any] | None:
        """What the run waits for now, with the script as edited in this chat so far; None (and nothing
        pending) when it no longer waits, e.g. after an answer from the dashboard's buttons."""
        waiting: dict[str, Any] | None = (await self.ops.show_run(run)).get("waiting")
        pending = self._pending_for(run)
        if waiting is None:
            if pending is not None:
                self.memory.pending = None
            return None
        if pending is not None and pending["edited"] and waiting.get("gate") == "script":
            return {**waiting, "script": pending["script"]}
        return waiting

    async def edit_scene(self, scene: int, narration: str, run_id: str | None = None) -> str:
        """Give a scene of the waiting script new words (approve then sends the edited script); a
        finished run's scene is made again with them instead."""
        run = self._run(run_id, gate_first=True)
        waiting = await self._waiting(run)
        if waiting is None:
            return await self.regenerate_scene(scene, narration=narration, run_id=run)
        if waiting.get("gate") != "script":
            raise BadInput(f"run {run} waits at the {waiting.get('gate')} gate; only a script can be edited")
        script = copy.deepcopy(waiting["script"])
        scenes = script["scenes"]
        number = len(scenes) if scene == -1 else scene
        chosen = next((item for item in scenes if item["index"] == number), None)
        if chosen is None:
            raise BadInput(f"the script has scenes 1 to {len(scenes)}; name one of them")
        words = " ".join(narration.split())
        if not words:
            raise BadInput("the new words are empty; say what the scene should say")
        chosen["narration"] = words
        self.memory.pending = {"run_id": run, "gate": "script", "script": script, "edited": True}
        self.memory.last_run = run
        self.ask(run, {"gate": "script", "script": script, "problems": []}, edited=True)
        return f"Scene {number} now says: {words}"

    async def regenerate_scene(
        self,
        scene: int,
        *,
        narration: str | None = None,
        visual: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Make one scene of a finished run again (new words or picture optional), and a new video."""
        run = self._run(run_id)
        if scene == -1:
            info = await self.ops.show_run(run)
            scene = max((item["index"] for item in info.get("scenes") or []), default=1)
        after = await self._last_seq(run)
        record = await self.ops.regenerate_scene(run, scene, narration=narration, visual=visual)
        self._started(record, after)
        what = []
        if narration:
            what.append(f"saying '{narration}'")
        if visual:
            what.append(f"showing {visual}")
        return f"Remaking scene {scene} of run {run}" + (f", {' and '.join(what)}" if what else "") + "."

    # ---- the machine -----------------------------------------------------------------------------------

    def providers(self) -> str:
        """The overall mode, which tier serves each capability, and which providers answer."""
        status = self.ops.providers()
        serving = ", ".join(f"{cap} {tier.lower()}" for cap, tier in status["capabilities"].items())
        up = [f"{row['provider']} ({row['capability']})" for row in status["providers"] if row["healthy"]]
        down = [
            f"{row['provider']} ({row['capability']}): {row['error'] or 'no answer'}"
            for row in status["providers"]
            if row["configured"] and not row["healthy"]
        ]
        lines = [f"Mode {status['mode']}: {serving}."]
        if up:
            lines.append(f"Answering: {', '.join(up)}.")
        if down:
            lines.append(f"Not answering: {'; '.join(down)}.")
        return " ".join(lines)

    async def costs(self, since: str | None = None, by: str = "provider", run_id: str | None = None) -> str:
        """What a period cost (default the last 7 days), or one run ('last' = this conversation's)."""
        if run_id is not None:
            return await self._run_cost(self._run(run_id))
        period = since_of(since)
        report = self.ops.costs(period, by)
        totals = report["totals"]
        start = report["since"][:16].replace("T", " ")
        line = (
            f"Since {start} UTC: {money(totals['cost_usd'])} for {totals['calls']} model calls "
            f"({totals['failures']} failed); {savings_words(totals['savings_usd'])}."
        )
        top = [f"{row['key']} {money(row['cost_usd'])} ({row['calls']} calls)" for row in report["rows"][:5]]
        return line + (f" By {by}: {', '.join(top)}." if top else "")

    async def _run_cost(self, run: str) -> str:
        info = await self.ops.show_run(run)
        self.memory.last_run = run
        created = datetime.fromisoformat(info["created_at"]) - timedelta(minutes=1)
        report = self.ops.costs(created.isoformat(timespec="seconds"), "run")
        row = next((row for row in report["rows"] if row["key"] == run), None)
        if row is None:
            return f"Run {run} cost $0.00: no model calls are recorded for it."
        failed = f", {row['failures']} failed" if row["failures"] else ""
        return (
            f"Run {run} cost {money(row['cost_usd'])} for {row['calls']} model calls{failed}; premium "
            f"providers would have cost {money(row['premium_usd'])}."
        )

    # ---- gates and settling ----------------------------------------------------------------------------

    def ask(self, run: str, waiting: dict[str, Any], *, edited: bool = False) -> None:
        """Ask for the answer to a gate inline: the approval item, and the gate remembered as pending."""
        gate = waiting.get("gate", "script")
        script = waiting.get("script") if gate == "script" else None
        if not edited:
            self.memory.pending = {"run_id": run, "gate": gate, "script": script, "edited": False}
        self.emit(
            {
                "type": "approval",
                "run_id": run,
                "gate": gate,
                "script": script
                if script is not None
                else {k: v for k, v in waiting.items() if k not in ("gate", "interrupt")},
                "text": "\n".join(gate_lines(run, waiting, edited=edited)),
            }
        )

    async def settled(self, run: str, last: RunEvent | None) -> str:
        """What to say when a followed run settles (its last event `last`); a gate is asked inline."""
        kind = last["kind"] if last is not None else None
        # A waiting event carries what the gate shows; one made up from the record does not.
        waiting = dict(last["data"]) if last is not None and "gate" in last["data"] else None
        if kind not in TERMINAL_KINDS or (kind == "waiting" and waiting is None):
            info = await self.ops.show_run(run)
            kind, waiting = info["status"], info.get("waiting")
        self.emit({"type": "run", "run_id": run, "status": kind})
        self.memory.last_run = run
        if kind == "waiting":
            waiting = waiting or {"gate": "script"}
            self.ask(run, waiting)
            return f"Run {run} waits for your answer at the {waiting['gate']} gate."
        if self._pending_for(run) is not None:
            self.memory.pending = None
        message = last["message"] if last is not None else str(kind)
        if kind == "done":
            video = last["data"].get("video") if last is not None else None
            return f"Run {run} is done. Video: {video or message.removeprefix('done: ')}"
        if kind in ("failed", "stopped"):
            return f"Run {run} {kind}: {message.removeprefix(f'{kind}: ')}. Say 'resume' to go on from there."
        return f"Run {run} was {message}." if kind == "rejected" else f"Run {run} is {kind}."


def gate_lines(run: str, waiting: dict[str, Any], *, edited: bool = False) -> list[str]:
    """A gate as the chat asks it: the script's scenes (or the video to publish) and the three answers."""
    gate = waiting.get("gate", "script")
    if gate == "script" and waiting.get("script"):
        script = waiting["script"]
        head = "The edited script" if edited else "The script"
        lines = [f"{head} of run {run}: {script.get('title', '')} ({len(script['scenes'])} scenes)"]
        lines += [f"  {scene['index']}. {scene['narration']}" for scene in script["scenes"]]
        lines += [f"  ! {problem}" for problem in waiting.get("problems") or []]
        lines.append("approve / reject (reject: reason) / edit (change scene 2 to say ...)")
        return lines
    video = waiting.get("video") or {}
    lines = [f"Run {run} is ready to publish: {waiting.get('title', '')}"]
    if video.get("path"):
        lines.append(f"  video: {video['path']}")
    if waiting.get("targets"):
        lines.append(f"  to: {', '.join(waiting['targets'])}")
    lines.append("approve / reject (reject: reason)")
    return lines
