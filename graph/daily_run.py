"""`reelforge daily`: make each item of the plan for one date, in order, exactly once."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from graph.feed_items import entry_items
from graph.run_ids import daily_run_id, daily_thread_id
from graph.runs import EventSink, RunOutcome, SyncRunService
from state.daily_plan import DailyItem, DailyPlan
from tools.errors import Interrupted, ReelforgeError, first_line
from tools.home import check_home
from tools.secrets import redact

if TYPE_CHECKING:
    from rich.console import RenderableType

    from graph.settings import Settings

# A progress display for one run, given the nodes an earlier attempt finished.
ProgressFactory = Callable[[frozenset[str]], AbstractContextManager[EventSink]]


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one item: made, resumed, already done, waiting (at a gate), rejected, or failed."""

    slug: str
    run_id: str
    thread_id: str
    outcome: str
    video: str | None = None
    error: str | None = None


def _expanded(
    plan: DailyPlan, settings: Settings, day: date, say: Callable[[str], None]
) -> tuple[list[ItemOutcome], list[DailyItem]]:
    """The plan's items with each feed item made one item per entry; a feed that cannot be read is that
    item's failure, and the other items go on."""
    failed, items = [], []
    for item in plan.items:
        try:
            items += entry_items(item, settings)
        except ReelforgeError as exc:
            reason = _one_line(exc)
            say(f"{item.slug}: failed: {reason}")
            run_id, thread_id = daily_run_id(day, item.slug), daily_thread_id(day, item.slug)
            failed.append(ItemOutcome(item.slug, run_id, thread_id, "failed", error=reason))
    return failed, items


def _no_progress(done: frozenset[str]) -> AbstractContextManager[EventSink]:
    return nullcontext(lambda part: None)


def run_daily(
    runs: SyncRunService,
    plan: DailyPlan,
    day: date,
    *,
    progress: ProgressFactory = _no_progress,
    say: Callable[[str], None] = lambda line: None,
    debug: bool = False,
) -> list[ItemOutcome]:
    """Run every item for `day` in order: skip finished runs, resume unfinished ones, start the rest."""
    # A failing item is recorded and the next one runs; only Ctrl-C or SIGTERM stops the whole plan.
    settings = runs.services.settings
    check_home(settings.home, settings.min_free_bytes)
    outcomes, items = _expanded(plan, settings, day, say)
    for number, item in enumerate(items, 1):
        prefix = f"[{number}/{len(items)}] {item.slug}"
        try:
            outcomes.append(_run_item(runs, item, day, progress, say, prefix))
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


# Statuses a run has settled in, and what an item in that state is reported as.
_SETTLED = {"done": "already done", "waiting": "waiting", "rejected": "rejected"}
_SETTLED_OR_QUEUED = {**_SETTLED, "queued": "already queued", "running": "already running"}


def _run_item(
    runs: SyncRunService,
    item: DailyItem,
    day: date,
    progress: ProgressFactory,
    say: Callable[[str], None],
    prefix: str,
) -> ItemOutcome:
    run_id = daily_run_id(day, item.slug)
    record = runs.find(run_id)
    thread_id = record.thread_id if record else daily_thread_id(day, item.slug)
    if record is not None and record.status in _SETTLED:
        outcome = _SETTLED[record.status]
        say(f"{prefix}: {outcome} ({run_id})")
        return ItemOutcome(item.slug, run_id, thread_id, outcome, record.video, record.error)
    result: RunOutcome
    if record is not None:
        # Stopped or failed (a crash reads as stopped): pick it up where it stopped. A run another
        # process is driving fails here with RunBusy, and the next item goes on.
        say(f"{prefix}: resuming {run_id} ({record.status})")
        with progress(runs.finished_nodes(run_id)) as sink:
            result = runs.resume(run_id, on_event=sink)
        outcome = "resumed"
    else:
        say(f"{prefix}: making {run_id}")
        runs.submit(item.to_job(), run_id=run_id, thread_id=thread_id)
        with progress(frozenset()) as sink:
            result = runs.execute(run_id, on_event=sink)
        outcome = "made"
    if result.status in ("waiting", "rejected"):
        say(f"{prefix}: {result.status} ({run_id})")
        outcome = result.status
    return ItemOutcome(item.slug, run_id, thread_id, outcome, _video_of(result.values))


def queue_daily(runs: SyncRunService, plan: DailyPlan, day: date) -> list[dict[str, Any]]:
    """Queue every item of the plan for `day` that is not done yet; never queue a finished run again."""
    failed, items = _expanded(plan, runs.services.settings, day, lambda line: None)
    queued = [asdict(outcome) for outcome in failed]
    for item in items:
        run_id, thread_id = daily_run_id(day, item.slug), daily_thread_id(day, item.slug)
        record = runs.find(run_id)
        entry = {"slug": item.slug, "run_id": run_id, "thread_id": thread_id, "video": None, "error": None}
        if record is not None and record.status in _SETTLED_OR_QUEUED:
            queued.append({**entry, "outcome": _SETTLED_OR_QUEUED[record.status], "video": record.video})
            continue
        try:
            if record is None:
                runs.submit(item.to_job(), run_id=run_id, thread_id=thread_id, queue=True)
            else:
                # Stopped or failed earlier: a worker resumes it from its checkpoint.
                runs.resume(run_id, queue=True)
        except ReelforgeError as exc:
            queued.append({**entry, "outcome": "failed", "error": redact(str(exc))})
            continue
        queued.append({**entry, "outcome": "queued"})
    return queued


def _video_of(values: dict[str, Any]) -> str | None:
    path = ((values.get("video") or {}).get("video") or {}).get("path")
    return str(path) if path else None


def _one_line(exc: BaseException) -> str:
    first = first_line(exc)
    text = (
        first
        if isinstance(exc, ReelforgeError) or first == type(exc).__name__
        else f"{type(exc).__name__}: {first}"
    )
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
