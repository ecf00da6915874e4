"""`reelforge daily`: make each item of the plan for one date, in order, exactly once."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from graph.preflight import preflight
from graph.run_ids import daily_run_id, daily_thread_id
from graph.runner import EventSink, RunResult, plan_resume, resume_run, start_run
from graph.settings import Settings
from graph.stores import open_run_index
from state.daily_plan import DailyItem, DailyPlan
from tools.errors import Interrupted, ReelforgeError
from tools.home import check_home
from tools.secrets import redact
from tools.speech import VoiceShelf

if TYPE_CHECKING:
    from rich.console import RenderableType

# A progress display for one run, given the nodes an earlier attempt finished.
ProgressFactory = Callable[[frozenset[str]], AbstractContextManager[EventSink]]
OK_OUTCOMES = ("made", "resumed", "already done")


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item: made, resumed, already done, or failed (with the reason in `error`)."""

    slug: str
    run_id: str
    thread_id: str
    outcome: str
    video: str | None = None
    error: str | None = None


def _no_progress(done: frozenset[str]) -> AbstractContextManager[EventSink]:
    return nullcontext(lambda part: None)


def run_daily(
    settings: Settings,
    plan: DailyPlan,
    day: date,
    *,
    progress: ProgressFactory = _no_progress,
    say: Callable[[str], None] = lambda line: None,
    debug: bool = False,
) -> list[ItemOutcome]:
    """Run every item for `day` in order: skip finished runs, resume unfinished ones, start the rest."""
    # A failing item is recorded and the next one runs; only Ctrl-C or SIGTERM stops the whole plan.
    check_home(settings.home, settings.min_free_bytes)
    voices = VoiceShelf()
    outcomes = []
    for number, item in enumerate(plan.items, 1):
        prefix = f"[{number}/{len(plan.items)}] {item.slug}"
        try:
            outcomes.append(_run_item(settings, item, day, progress, say, prefix, voices))
        except Interrupted:
            raise Interrupted(
                f"the daily plan for {day} stopped at {item.slug}; "
                f"run 'reelforge daily --date {day}' again to resume it"
            ) from None
        except Exception as exc:
            if debug:
                traceback.print_exc()
            reason = _one_line(exc)
            say(f"{prefix}: failed: {reason}")
            run_id, thread_id = daily_run_id(day, item.slug), daily_thread_id(day, item.slug)
            outcomes.append(ItemOutcome(item.slug, run_id, thread_id, "failed", error=reason))
    return outcomes


def _run_item(
    settings: Settings,
    item: DailyItem,
    day: date,
    progress: ProgressFactory,
    say: Callable[[str], None],
    prefix: str,
    voices: VoiceShelf,
) -> ItemOutcome:
    run_id = daily_run_id(day, item.slug)
    record = open_run_index(settings).get(run_id)
    thread_id = record.thread_id if record else daily_thread_id(day, item.slug)
    if record is not None and record.status == "done":
        say(f"{prefix}: already done ({run_id})")
        return ItemOutcome(item.slug, run_id, thread_id, "already done", record.video)
    result: RunResult
    if record is not None:
        # Interrupted, failed, or "running" with nobody holding its lock (a crash): pick it up where it
        # stopped. A run another process is driving fails here with RunBusy, and the next item goes on.
        say(f"{prefix}: resuming {run_id} ({record.status})")
        resume = plan_resume(settings, run_id)
        with progress(resume.finished_nodes) as sink:
            result = resume_run(settings, run_id, resume, sink, voices)
        outcome = "resumed"
    else:
        say(f"{prefix}: making {run_id}")
        job = preflight(settings, item.to_job(), voices)
        with progress(frozenset()) as sink:
            result = start_run(settings, run_id, job, sink, voices, thread_id=thread_id)
        outcome = "made"
    return ItemOutcome(item.slug, run_id, thread_id, outcome, _video_of(result.values))


def _video_of(values: dict[str, Any]) -> str | None:
    path = ((values.get("video") or {}).get("video") or {}).get("path")
    return str(path) if path else None


def _one_line(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    text = first if isinstance(exc, ReelforgeError) else f"{type(exc).__name__}: {first}".rstrip(": ")
    return redact(text)


def daily_report(day: date, outcomes: list[ItemOutcome]) -> dict[str, Any]:
    """The JSON that `reelforge daily --json` prints."""
    return {
        "date": day.isoformat(),
        "items": [
            {
                "slug": o.slug,
                "run_id": o.run_id,
                "thread_id": o.thread_id,
                "outcome": o.outcome,
                "video": o.video,
                "error": o.error,
            }
            for o in outcomes
        ],
    }


def render_daily(report: dict[str, Any]) -> RenderableType:
    """A rich table: one row per item with its run, outcome and video."""
    from rich.table import Table
    from rich.text import Text

    table = Table("item", "run id", "outcome", "video", title=f"Daily plan for {report['date']}")
    for item in report["items"]:
        failed = item["outcome"] == "failed"
        outcome = Text(
            f"failed: {item['error']}" if failed else item["outcome"], style="red" if failed else "green"
        )
        table.add_row(item["slug"], item["run_id"], outcome, item["video"] or "")
    return table
