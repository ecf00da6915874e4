"""The `reelforge` command line. Heavy modules are imported inside commands so --help stays instant."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="reelforge",
    help="Turn a request into a published short video, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130
_state = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    redis: Annotated[
        str | None,
        typer.Option(
            "--redis",
            metavar="URL",
            help="Keep checkpoints, runs and the ledger in Redis (default: $REDIS_URL).",
        ),
    ] = None,
) -> None:
    """reelforge: a LangGraph orchestrator that writes, voices, renders and publishes short videos."""
    _state["debug"] = debug
    if redis:
        # Every command reads settings through load_settings(), which reads REDIS_URL.
        os.environ["REDIS_URL"] = redis


def _fail(message: str, code: int) -> typer.Exit:
    from tools.secrets import redact

    typer.echo(f"error: {redact(message)}", err=True)
    return typer.Exit(code)


@contextmanager
def _errors(run_id: str | None = None) -> Iterator[None]:
    """Turn known errors into one line and an exit code; tracebacks only with --debug."""
    from tools.errors import BadInput, Interrupted, ReelforgeError

    try:
        yield
    except typer.Exit:
        raise
    except Interrupted as exc:
        raise _fail(str(exc), EXIT_INTERRUPTED) from None
    except BadInput as exc:
        raise _fail(str(exc), EXIT_BAD_INPUT) from None
    except ReelforgeError as exc:
        if _state["debug"]:
            raise
        hint = f"; fix the cause, then 'reelforge resume {run_id}'" if run_id else ""
        raise _fail(f"{exc}{hint}", EXIT_FAILED) from None
    except Exception as exc:
        if _state["debug"]:
            raise
        hint = f"; after fixing it, 'reelforge resume {run_id}'" if run_id else ""
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise _fail(
            f"{type(exc).__name__}: {first} (rerun with --debug for the traceback){hint}", EXIT_FAILED
        ) from None


def _run_with_display(
    as_json: bool,
    runner: Callable[[Callable[[dict[str, Any]], None]], Any],
    done: frozenset[str] = frozenset(),
) -> Any:
    from rich.console import Console

    if as_json:
        return runner(lambda part: None)
    from graph.progress import StageProgress

    with StageProgress(Console(stderr=True), done) as display:
        return runner(display)


def _summary(run_id: str, values: dict[str, Any], home: Path) -> dict[str, Any]:
    from tools.report import collapse_tiers

    video = values.get("video") or {}
    job = values.get("job") or {}
    return {
        "run_id": run_id,
        "status": "done",
        "video": (video.get("video") or {}).get("path"),
        "gallery": str(home / "gallery" / run_id / "video.mp4"),
        "duration_s": video.get("duration_s"),
        "aspect": job.get("aspect"),
        "width": video.get("width"),
        "height": video.get("height"),
        "loudness_lufs": video.get("loudness_lufs"),
        "tiers": collapse_tiers(values.get("tiers", {})),
        "degraded": bool(values.get("degraded")),
        "degraded_reasons": list(dict.fromkeys(item["reason"] for item in values.get("degraded", []))),
        "warnings": values.get("warnings", []),
        "report": (values.get("report") or {}).get("path"),
    }


def _finish(run_id: str, values: dict[str, Any], home: Path, as_json: bool) -> None:
    summary = _summary(run_id, values, home)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    from rich.console import Console

    from tools.report import render_report_console

    report_path = summary["report"]
    data = json.loads(Path(report_path).with_suffix(".json").read_text()) if report_path else summary
    Console().print(render_report_console(data))


@app.command()
def make(
    topic: Annotated[str, typer.Argument(help='What the video is about, e.g. "the history of coffee".')],
    duration: Annotated[int, typer.Option(help="Target length in seconds (10-600).")] = 60,
    aspect: Annotated[
        str, typer.Option(help="9:16 (1080x1920), 16:9 (1920x1080) or 1:1 (1080x1080).")
    ] = "9:16",
    lang: Annotated[str, typer.Option(help="Narration language.")] = "en",
    voice: Annotated[
        str, typer.Option(help="joe (Piper neural voice) or espeak (espeak-ng, instant).")
    ] = "joe",
    style: Annotated[str, typer.Option(help="Card palette: bold, calm, news, sunset or mono.")] = "bold",
    source: Annotated[
        list[Path] | None,
        typer.Option("--source", help="A .txt, .md or .html file to take facts from; repeatable."),
    ] = None,
    music: Annotated[Path | None, typer.Option(help="An audio file to play under the voice, ducked.")] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Name the run (letters, digits, . _ -).")
    ] = None,
    preview: Annotated[bool, typer.Option(help="Render at a third of the size: a fast draft.")] = False,
    model: Annotated[
        str, typer.Option(help="A model alias from reelforge.toml's \\[aliases], e.g. quality or fast.")
    ] = "default",
    queue: Annotated[
        bool, typer.Option("--queue", help="Queue the run for 'reelforge worker' (needs Redis) instead.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of progress.")
    ] = False,
) -> None:
    """Make a video about TOPIC and publish it to the local gallery."""
    with _errors():
        from graph.preflight import preflight, validate_job
        from graph.run_ids import check_run_id, new_run_id
        from graph.settings import load_settings
        from tools.speech import VoiceShelf

        settings = load_settings()
        job = validate_job(
            topic=topic,
            duration_s=duration,
            aspect=aspect,
            lang=lang,
            voice=voice,
            style=style,
            sources=[str(s) for s in source or []],
            music=str(music) if music else None,
            preview=preview,
            model=model,
        )
        chosen = check_run_id(run_id) if run_id else new_run_id(job["topic"])
        voices = VoiceShelf()
        job = preflight(settings, job, voices)
        if queue:
            _queue_make(settings, chosen, job, as_json)
            return
    from graph.runner import start_run

    if not as_json:
        typer.echo(f"run {chosen}: resume with 'reelforge resume {chosen}' if it stops", err=True)
    with _errors(chosen):
        result = _run_with_display(as_json, lambda sink: start_run(settings, chosen, job, sink, voices))
    _finish(chosen, result.values, settings.home, as_json)


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="The run to continue (see 'reelforge runs').")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of progress.")
    ] = False,
) -> None:
    """Continue a stopped or crashed run from the step that did not finish."""
    with _errors():
        from graph.run_ids import check_run_id
        from graph.runner import plan_resume, resume_run
        from graph.settings import load_settings

        check_run_id(run_id)
        settings = load_settings()
        plan = plan_resume(settings, run_id)
    with _errors(run_id):
        result = _run_with_display(
            as_json, lambda sink: resume_run(settings, run_id, plan, sink), plan.finished_nodes
        )
    _finish(run_id, result.values, settings.home, as_json)


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many runs to list, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")] = False,
) -> None:
    """List recent runs with their status."""
    with _errors():
        from graph.settings import load_settings
        from graph.stores import existing_run_index

        index = existing_run_index(load_settings())
        records = index.list(limit) if index is not None else []
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in records]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("run id", "status", "topic", "updated", "video")
    for record in records:
        table.add_row(record.run_id, record.status, record.topic[:40], record.updated_at, record.video or "")
    Console().print(table if records else 'no runs yet: try reelforge make "the history of coffee"')


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="The run to show.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show one run: status, where it stopped, node executions, and its report."""
    with _errors():
        from graph.inspect_run import describe_run
        from graph.run_ids import check_run_id
        from graph.settings import load_settings

        check_run_id(run_id)
        details = describe_run(load_settings(), run_id)
    if as_json:
        typer.echo(json.dumps(details))
        return
    from rich.console import Console

    from graph.inspect_run import render_run

    Console().print(render_run(details))


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check every model provider now: tier, endpoint, health, latency, models, and the overall mode."""
    with _errors():
        from graph.model_status import provider_status
        from graph.settings import load_settings

        settings = load_settings()
        _log_to_home(settings.home)
        report = provider_status(settings)
    if as_json:
        typer.echo(json.dumps(report))
        return
    from rich.console import Console

    from graph.model_status import render_status

    Console().print(render_status(report))


@app.command()
def costs(
    since: Annotated[str, typer.Option(help="How far back: 7d, 12h, 30m, 2w or a date (2026-11-01).")] = "7d",
    by: Annotated[str, typer.Option(help="Group by provider, day or run.")] = "provider",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Model usage and cost from the ledger: totals, self-hosted share, and savings versus premium."""
    with _errors():
        from graph.model_status import cost_report
        from graph.settings import load_settings
        from tools.errors import BadInput

        if by not in ("provider", "day", "run"):
            raise BadInput(f"cannot group by '{by}'; use --by provider, --by day or --by run")
        report = cost_report(load_settings(), since, by)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(report))
        return
    from rich.console import Console

    from graph.model_status import render_costs

    Console().print(render_costs(report))


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
    with _errors():
        from datetime import UTC, datetime

        from graph.daily_plan import load_plan
        from graph.router_config import load_router_settings
        from graph.run_ids import parse_day
        from graph.settings import load_settings

        when = parse_day(day) if day is not None else datetime.now(UTC).date()
        settings = load_settings()
        plan = load_plan(settings.home, plan_file)
        # A broken reelforge.toml fails here, once, rather than in every item.
        load_router_settings(settings.home)
        if queue:
            _queue_daily(settings, plan, when, as_json)
            return
    from graph.daily_run import daily_report, render_daily, run_daily

    with _errors():
        outcomes = run_daily(
            settings,
            plan,
            when,
            progress=_no_display if as_json else _stage_display,
            say=(lambda line: None) if as_json else (lambda line: typer.echo(line, err=True)),
            debug=bool(_state["debug"]),
        )
    report = daily_report(when, outcomes)
    if as_json:
        typer.echo(json.dumps(report))
    else:
        from rich.console import Console

        Console().print(render_daily(report))
    failed = [item for item in report["items"] if item["outcome"] == "failed"]
    if failed:
        raise _fail(
            f"{len(failed)} of {len(outcomes)} items failed; fix the cause and run "
            f"'reelforge daily --date {when}' again (finished items are skipped)",
            EXIT_FAILED,
        )


def _queue_daily(settings: Any, plan: Any, when: Any, as_json: bool) -> None:
    from graph.queued import queue_daily, require_redis, workers_online

    require_redis(settings)
    items = queue_daily(settings, plan, when)
    workers = workers_online(settings)
    if as_json:
        typer.echo(json.dumps({"date": when.isoformat(), "items": items, "workers": workers}))
    else:
        for item in items:
            detail = f": {item['error']}" if item["error"] else ""
            typer.echo(f"{item['slug']}: {item['outcome']} ({item['run_id']}){detail}")
        if not workers:
            typer.echo(_NO_WORKER, err=True)
    failed = [item for item in items if item["outcome"] == "failed"]
    if failed:
        raise _fail(f"{len(failed)} of {len(items)} items could not be queued; fix them and queue again", 1)


def _queue_make(settings: Any, run_id: str, job: Any, as_json: bool) -> None:
    from graph.queued import queue_make, require_redis, workers_online
    from graph.run_ids import thread_id_for

    require_redis(settings)
    queue_make(settings, run_id, thread_id_for(run_id), job)
    workers = workers_online(settings)
    if as_json:
        typer.echo(json.dumps({"run_id": run_id, "status": "queued", "workers": workers}))
        return
    typer.echo(f"queued run {run_id}; follow it with 'reelforge show {run_id}'")
    if not workers:
        typer.echo(_NO_WORKER, err=True)


_NO_WORKER = (
    "no worker is running: the job waits in Redis until one starts; "
    "start one with 'reelforge worker' (same REDIS_URL and REELFORGE_HOME)"
)


def _no_display(done: frozenset[str]) -> AbstractContextManager[Callable[[dict[str, Any]], None]]:
    return nullcontext(lambda part: None)


def _stage_display(done: frozenset[str]) -> AbstractContextManager[Callable[[dict[str, Any]], None]]:
    from rich.console import Console

    from graph.progress import StageProgress

    return StageProgress(Console(stderr=True), done)


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
    """Delete old runs: folders, checkpoints and index rows. Running runs and gallery videos always stay."""
    with _errors():
        from graph.cleanup import cleanup as clean_up
        from graph.settings import load_settings

        report = clean_up(load_settings(), older_than, keep_published=keep_published, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(report))
        return
    from rich.console import Console

    from graph.cleanup import render_cleanup

    Console().print(render_cleanup(report))


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
    with _errors():
        from graph.daily_plan import load_plan
        from graph.queued import require_redis
        from graph.settings import load_settings
        from graph.stores import check_redis_once

        settings = load_settings()
        check_redis_once(require_redis(settings))
        _log_to_home(settings.home)
        schedule = None
        if beat:
            from graph.daily_plan import has_plan
            from graph.worker import beat_schedule

            # Without a [daily] plan the scheduler still runs the health checks.
            plan = load_plan(settings.home) if has_plan(settings.home) else None
            schedule = beat_schedule(plan.time, plan.health_every_s) if plan else beat_schedule(None)
    from graph.worker import app as celery_app

    argv = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        f"--hostname={name or 'reelforge@%h'}",
    ]
    if schedule is not None:
        celery_app.conf.beat_schedule = schedule
        argv += ["--beat", f"--schedule={settings.home / 'celerybeat-schedule'}"]
    celery_app.worker_main(argv)


def _log_to_home(home: Path) -> None:
    from graph.logs import configure_logging
    from graph.router_config import load_router_settings

    configure_logging(home, load_router_settings(home), to_stderr=bool(_state["debug"]))


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="reelforge")


if __name__ == "__main__":  # pragma: no cover
    main()
