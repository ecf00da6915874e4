"""`reelforge` commands for operators: status, costs, daily, cleanup and worker."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graph.cli_common import (
    EXIT_FAILED,
    app,
    debugging,
    echo_json,
    errors,
    fail,
    print_rich,
    runs,
    services,
    third_party_notice,
)

if TYPE_CHECKING:
    from graph.runs import EventSink
    from state.daily_plan import DailyPlan


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check every model provider now: tier, endpoint, health, latency, models, and the overall mode."""
    with errors():
        from graph.model_status import provider_status

        found = services()
        found.start_logging()
        report = provider_status(found)
    if as_json:
        echo_json(report)
        return
    from graph.model_status import render_status

    print_rich(render_status(report))


@app.command()
def costs(
    since: Annotated[str, typer.Option(help="How far back: 7d, 12h, 30m, 2w or a date (2026-11-01).")] = "7d",
    by: Annotated[str, typer.Option(help="Group by provider, day or run.")] = "provider",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Model usage and cost from the ledger: totals, self-hosted share, and savings versus premium."""
    with errors():
        from graph.model_status import cost_report
        from tools.errors import BadInput

        if by not in ("provider", "day", "run"):
            raise BadInput(f"cannot group by '{by}'; use --by provider, --by day or --by run")
        # Checked before the ledger opens: a span beyond the calendar is bad input, not a crash.
        from graph.cleanup import cutoff_of

        cutoff_of(since, flag="--since")
        report = cost_report(services(), since, by)  # type: ignore[arg-type]
    if as_json:
        echo_json(report)
        return
    from graph.model_status import render_costs

    print_rich(render_costs(report))


def _no_display(done: frozenset[str]) -> AbstractContextManager[EventSink]:
    return nullcontext(lambda event: None)


def _stage_display(done: frozenset[str]) -> AbstractContextManager[EventSink]:
    from rich.console import Console

    from graph.progress import StageProgress

    return StageProgress(Console(stderr=True), done)


@app.command()
def daily(
    day: Annotated[
        str | None,
        typer.Option(
            "--date", metavar="YYYY-MM-DD", help="The plan's date; it names the runs (default: today, UTC)."
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan", metavar="FILE", help="A TOML plan file (default: \\[daily] in reelforge.toml)."
        ),
    ] = None,
    queue: Annotated[
        bool, typer.Option("--queue", help="Queue the items for 'reelforge worker' (needs Redis) instead.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of progress and a table.")
    ] = False,
) -> None:
    """Make each video of the daily plan for one date, once: done items are skipped, stopped ones resumed."""
    with errors():
        from datetime import UTC, datetime

        from graph.daily_plan import load_plan
        from graph.run_ids import parse_day

        when = parse_day(day) if day is not None else datetime.now(UTC).date()
        plan = load_plan(services().settings, plan_file)
        if queue:
            _queue_daily(plan, when, as_json)
            return
    from graph.daily_run import daily_report, render_daily, run_daily

    third_party_notice()
    with errors():
        outcomes = run_daily(
            runs(),
            plan,
            when,
            progress=_no_display if as_json else _stage_display,
            say=(lambda line: None) if as_json else (lambda line: typer.echo(line, err=True)),
            debug=debugging(),
        )
    report = daily_report(when, outcomes)
    if as_json:
        echo_json(report)
    else:
        print_rich(render_daily(report))
    failed = [item for item in report["items"] if item["outcome"] == "failed"]
    if failed:
        raise fail(
            f"{len(failed)} of {len(outcomes)} items failed; fix the cause and run "
            f"'reelforge daily --date {when}' again (finished items are skipped)",
            EXIT_FAILED,
        )


def _queue_daily(plan: DailyPlan, when: date, as_json: bool) -> None:
    from graph.cli_runs import NO_WORKER
    from graph.daily_run import queue_daily
    from tools.errors import BadInput

    if not services().uses_redis:
        raise BadInput("--queue needs Redis: set REDIS_URL or pass --redis URL, and start 'reelforge worker'")
    items = queue_daily(runs(), plan, when)
    workers = runs().workers_online()
    if as_json:
        echo_json({"date": when.isoformat(), "items": items, "workers": workers})
    else:
        for item in items:
            detail = f": {item['error']}" if item["error"] else ""
            typer.echo(f"{item['slug']}: {item['outcome']} ({item['run_id']}){detail}")
        if not workers:
            typer.echo(NO_WORKER, err=True)
    failed = [item for item in items if item["outcome"] == "failed"]
    if failed:
        raise fail(
            f"{len(failed)} of {len(items)} items could not be queued; fix them and queue again", EXIT_FAILED
        )


@app.command()
def cleanup(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Remove runs last updated before this: 30d, 12h, 2w or a date."),
    ] = "30d",
    keep_published: Annotated[
        bool,
        typer.Option(
            "--keep-published",
            help="Also keep runs whose video is in the gallery. Without it their run folder goes, "
            "but the gallery entry stays: published videos are never deleted.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go and the space it frees; delete nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Delete old runs: folders, checkpoints, events and index rows. Running runs and gallery videos stay."""
    with errors():
        from graph.cleanup import cleanup as clean_up
        from graph.cleanup import cutoff_of

        cutoff_of(older_than)  # a bad span fails before the run service loads
        report = clean_up(runs(), older_than, keep_published=keep_published, dry_run=dry_run)
    if as_json:
        echo_json(report)
        return
    from graph.cleanup import render_cleanup

    print_rich(render_cleanup(report))


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs this worker runs at once (each uses ~2 cores).")] = 1,
    name: Annotated[str | None, typer.Option(help="The worker's name (default reelforge@<host>).")] = None,
    beat: Annotated[
        bool,
        typer.Option(
            help="Also run the scheduler: the health checks, and the daily plan if there is a \\[daily]. "
            "Run exactly one per cluster."
        ),
    ] = False,
) -> None:
    """Run queued jobs from Redis: 'make --queue' and 'daily --queue' runs, one thread at a time."""
    with errors():
        from tools.errors import BadInput

        found = services()
        settings = found.settings
        if not found.uses_redis:
            raise BadInput("a worker needs Redis: set REDIS_URL or pass --redis URL")
        found.start_logging()
        schedule = None
        if beat:
            from graph.daily_plan import load_plan
            from graph.worker import beat_schedule

            # Without a [daily] plan the scheduler still runs the health checks.
            plan = load_plan(settings) if settings.daily is not None else None
            schedule = beat_schedule(plan.time, plan.health_every_s) if plan else beat_schedule(None)
    from graph.worker import use_settings

    celery_app = use_settings(settings)
    argv: list[Any] = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        f"--hostname={name or 'reelforge@%h'}",
    ]
    if schedule is not None:
        celery_app.conf.beat_schedule = schedule
        argv += ["--beat", f"--schedule={settings.home / 'celerybeat-schedule'}"]
    celery_app.worker_main(argv)
