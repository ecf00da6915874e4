"""`reelforge` commands about runs: make, resume, approve, reject, regen, follow, runs, show, history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from graph.cli_common import (
    EXIT_FAILED,
    app,
    echo_json,
    errors,
    field_words,
    print_rich,
    runs,
    services,
    third_party_notice,
)

if TYPE_CHECKING:
    from graph.runs import RunOutcome
    from state.events import RunEvent
    from tools.errors import InvalidField

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of progress.")]
TargetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        metavar="TARGET",
        help="Also publish to youtube, wordpress, instagram or webhook; repeatable. The local gallery always"
        " gets the video.",
    ),
]
RunIdArgument = Annotated[str, typer.Argument(help="The run (see 'reelforge runs').")]


def _run_id(run_id: str) -> str:
    from graph.run_ids import check_run_id

    return check_run_id(run_id)


def _drive(
    as_json: bool, attempt: Callable[[Callable[[RunEvent], None]], RunOutcome], done: frozenset[str]
) -> RunOutcome:
    """Run one attempt with the progress display on stderr (none with --json)."""
    if as_json:
        return attempt(lambda event: None)
    from rich.console import Console

    from graph.progress import StageProgress

    with StageProgress(Console(stderr=True), done) as display:
        return attempt(display)


def _drive_run(
    run_id: str, as_json: bool, attempt: Callable[[Callable[[RunEvent], None]], RunOutcome]
) -> None:
    """Check the run id, drive one attempt on that run with progress, and report how it ended."""
    with errors():
        _run_id(run_id)
        done = runs().finished_nodes(run_id)
    with errors(run_id):
        outcome = _drive(as_json, attempt, done)
    _report(outcome, as_json)


def _report(outcome: RunOutcome, as_json: bool) -> None:
    """Say where the attempt left the run: its report when done, what to answer when waiting."""
    import json

    from graph.run_display import done_summary, waiting_lines

    run_id, status = outcome.run_id, outcome.status
    home = services().settings.home
    if status == "done":
        summary = done_summary(run_id, outcome.values, home)
        if as_json:
            echo_json(summary)
            return
        from tools.report import render_report_console

        report_path = summary["report"]
        data = json.loads(Path(report_path).with_suffix(".json").read_text()) if report_path else summary
        print_rich(render_report_console(data))
        return
    if status == "waiting" and outcome.waiting is not None:
        if as_json:
            echo_json(
                {
                    "run_id": run_id,
                    "status": status,
                    "gate": outcome.waiting["gate"],
                    "waiting": outcome.waiting,
                }
            )
        else:
            typer.echo("\n".join(waiting_lines(run_id, outcome.waiting)))
        return
    if status == "queued":
        workers = runs().workers_online()
        if as_json:
            echo_json({"run_id": run_id, "status": status, "workers": workers})
            return
        typer.echo(f"queued run {run_id} for the workers; follow it with 'reelforge follow {run_id}'")
        if not workers:
            typer.echo(NO_WORKER, err=True)
        return
    record = runs().record(run_id)
    if as_json:
        echo_json({"run_id": run_id, "status": record.status, "error": record.error})
    else:
        typer.echo(f"run {run_id}: {record.status}" + (f" ({record.error})" if record.error else ""))


NO_WORKER = (
    "no worker is running: the job waits in Redis until one starts; "
    "start one with 'reelforge worker' (same REDIS_URL and REELFORGE_HOME)"
)


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
    # Paths as typed, not Path: Path("") is ".", and an empty --music must not become the current folder.
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="Where facts come from, repeatable: a file or folder, a web page, a feed, a .csv/.json"
            " catalogue (a Top N video), airtable://BASE/TABLE or api:ID.",
        ),
    ] = None,
    target: TargetOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Make the video, then show what would be posted; post nothing."),
    ] = False,
    publish_at: Annotated[
        str | None,
        typer.Option(
            "--publish-at",
            metavar="WHEN",
            help="Schedule the YouTube video, e.g. 2026-12-24T09:00:00Z (it stays private until then).",
        ),
    ] = None,
    music: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="An audio file to play under the voice, ducked."),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Name the run (letters, digits, . _ -).")
    ] = None,
    preview: Annotated[bool, typer.Option(help="Render at a third of the size: a fast draft.")] = False,
    no_research: Annotated[
        bool,
        typer.Option(
            "--no-research", help="Do not look the topic up on Wikipedia (WIKIPEDIA_URL); use --source only."
        ),
    ] = False,
    visuals: Annotated[
        str,
        typer.Option(
            help="Scene pictures: auto (best image model that answers, then open media, then cards),"
            " photos (open-media photographs first), clips (stock video clips first; needs PEXELS_API_KEY"
            " or PIXABAY_API_KEY) or cards (drawn offline)."
        ),
    ] = "auto",
    captions: Annotated[
        str,
        typer.Option(
            help="Burned-in captions: words (the word being spoken is highlighted), plain, or off (none"
            " burned in; subtitles.srt is still made)."
        ),
    ] = "words",
    model: Annotated[
        str, typer.Option(help="A model alias from reelforge.toml's \\[aliases], e.g. quality or fast.")
    ] = "default",
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            metavar="CAPABILITY=NAME",
            help="Try this provider first for text, image or speech, e.g. text=ollama or image=comfyui;"
            " repeatable. The others still stand behind it ('reelforge status' lists them).",
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option("--review", help="Stop after the quality gate so you can approve or edit the script."),
    ] = False,
    approve_publish: Annotated[
        bool, typer.Option("--approve-publish", help="Stop before publishing so you can approve the video.")
    ] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="Queue the run for 'reelforge worker' (needs Redis) instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Make a video about TOPIC and publish it to the local gallery and each --target."""
    with errors():
        from graph.preflight import validate_job

        job = validate_job(
            topic=topic,
            duration_s=duration,
            aspect=aspect,
            lang=lang,
            voice=voice,
            style=style,
            sources=list(source or []),
            music=music,
            gates=[gate for gate, on in (("script", review), ("publish", approve_publish)) if on],
            preview=preview,
            model=model,
            research=not no_research,
            visuals=visuals,
            captions=captions,
            providers=_provider_choices(provider or []),
            targets=list(target or []),
            dry_run=dry_run,
            publish_at=publish_at,
        )
        # An empty --run-id is a mistake, not a request for a generated id: check it before anything opens.
        from graph.run_ids import check_run_id

        named = check_run_id(run_id, flag="--run-id") if run_id is not None else None
        # Sources, music, the home and the model alias are checked before the run service loads, so bad
        # input fails at once; submit checks them again, as it does for every door.
        from graph.preflight import check_inputs, check_setup

        job = check_inputs(job)
        check_setup(services().settings, job)
        record = runs().submit(job, run_id=named, queue=queue)
    third_party_notice()
    if queue:
        from graph.runs import RunOutcome

        _report(RunOutcome(record.run_id, "queued", {}), as_json)
        return
    if not as_json:
        typer.echo(
            f"run {record.run_id}: resume with 'reelforge resume {record.run_id}' if it stops", err=True
        )
    with errors(record.run_id):
        outcome = _drive(as_json, lambda sink: runs().execute(record.run_id, on_event=sink), frozenset())
    _report(outcome, as_json)


def _provider_choices(given: list[str]) -> dict[str, str]:
    """--provider CAPABILITY=NAME flags as a job's `providers`; which names are valid is the job's check."""
    from tools.errors import InvalidField

    choices: dict[str, str] = {}
    for item in given:
        capability, equals, name = item.partition("=")
        capability, name = capability.strip(), name.strip()
        if not equals or not capability or not name:
            raise InvalidField(
                "providers", f"'{item}' is not CAPABILITY=NAME; write e.g. text=ollama or image=comfyui"
            )
        if capability in choices:
            raise InvalidField("providers", f"{capability} is given twice; name one provider per capability")
        choices[capability] = name
    return choices


@app.command()
def resume(
    run_id: RunIdArgument,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Start the run anew from its job (drops its checkpoints; files that verify are reused).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Continue a stopped or crashed run from the step that did not finish."""
    with errors():
        done = frozenset() if restart else runs().finished_nodes(_run_id(run_id))
    with errors(run_id):
        outcome = _drive(as_json, lambda sink: runs().resume(run_id, on_event=sink, restart=restart), done)
    _report(outcome, as_json)


def _script_file_words(path: Path) -> Callable[[InvalidField], str]:
    def words(error: InvalidField) -> str:
        if error.field in ("decision", "reason"):
            return field_words(error)
        return f"{path}: {error.field}: {error.problem}; fix it and approve again"

    return words


def _read_script(path: Path) -> dict[str, Any]:
    """The edited script in FILE (JSON, as `show --json` gives it under waiting.script)."""
    import json

    from tools.errors import BadInput

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"script file not found: {path}; pass the JSON file you edited to --script") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path} ({exc}); pass a readable UTF-8 JSON file to --script") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix it"
        ) from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{path} holds a {type(data).__name__}; the script is a JSON object with title and scenes"
        )
    # `show --json` nests it: accept the whole waiting block or the show output too.
    for key in ("waiting", "script"):
        if isinstance(data.get(key), dict) and "scenes" not in data:
            data = data[key]
    return cast(dict[str, Any], data)


@app.command()
def approve(
    run_id: RunIdArgument,
    script: Annotated[
        Path | None,
        typer.Option(
            "--script",
            metavar="FILE.json",
            help="An edited script (the JSON of 'show --json' under waiting.script) to use instead.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Approve the gate a run waits at, and let it go on; at the script gate, optionally with an edit."""
    with errors(words=_script_file_words(script) if script else field_words):
        _run_id(run_id)
        edited = _read_script(script) if script else None
        done = runs().finished_nodes(run_id)
        outcome = _drive(
            as_json, lambda sink: runs().answer(run_id, "approve", script=edited, on_event=sink), done
        )
    _report(outcome, as_json)


@app.command()
def reject(
    run_id: RunIdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why: kept with the run.")],
    as_json: JsonOption = False,
) -> None:
    """Reject the gate a run waits at: the run ends as rejected, and nothing more is made or published."""
    with errors():
        _run_id(run_id)
        outcome = runs().answer(run_id, "reject", reason=reason)
    _report(outcome, as_json)


@app.command()
def regen(
    run_id: RunIdArgument,
    scene: Annotated[int, typer.Option("--scene", help="The scene to make again (1 is the first).")],
    narration: Annotated[str | None, typer.Option(help="New words for the scene.")] = None,
    visual: Annotated[str | None, typer.Option(help="A new description of the scene's picture.")] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="Also publish the new version where the old one was published.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Make one scene again (a new take), recompose and verify a new video; the earlier one stays."""
    _drive_run(
        run_id,
        as_json,
        lambda sink: runs().regen(
            run_id, scene, narration=narration, visual=visual, publish=publish, on_event=sink
        ),
    )


@app.command()
def publish(
    run_id: RunIdArgument,
    target: TargetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a finished run's video where it is not yet: targets that failed, and new --target ones."""
    _drive_run(run_id, as_json, lambda sink: runs().publish(run_id, list(target or []), on_event=sink))


@app.command()
def follow(
    run_id: RunIdArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print each event as one JSON line.")] = False,
) -> None:
    """Print a run's events from the start, then live until it is done, failed, stopped or waiting.

    Works from any machine on the same Redis, or with the same home folder without Redis.
    """
    from graph.run_display import event_line

    last = None
    with errors():
        for event in runs().events(_run_id(run_id)):
            typer.echo(echo_line(event) if as_json else event_line(event))
            last = event
    if last is not None and last["kind"] in ("failed", "stopped"):
        raise typer.Exit(EXIT_FAILED)


def echo_line(event: RunEvent) -> str:
    """One event as a JSON line."""
    import json

    return json.dumps(event)


@app.command(name="runs")
def list_runs(
    limit: Annotated[int, typer.Option(help="How many runs to list, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """List recent runs with their status."""
    from graph.run_display import render_runs, run_row

    with errors():
        records = runs().list_runs(limit)
    if as_json:
        echo_json([run_row(record) for record in records])
        return
    print_rich(render_runs(records) if records else 'no runs yet: try reelforge make "the history of coffee"')


@app.command()
def show(
    run_id: RunIdArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show one run: status, what it waits for, where it stops, scenes, video, and node executions."""
    with errors():
        details = runs().view(_run_id(run_id))
    if as_json:
        echo_json(details)
        return
    from graph.run_display import render_run

    print_rich(render_run(details))


@app.command()
def history(
    run_id: RunIdArgument,
    limit: Annotated[int, typer.Option(help="How many checkpoints, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List a run's checkpoints, newest first: forks and regenerated versions included."""
    from graph.run_views import checkpoint_row

    with errors():
        rows = [checkpoint_row(snapshot) for snapshot in runs().history(_run_id(run_id), limit=limit)]
    if as_json:
        echo_json(rows)
        return
    from graph.run_display import render_history

    print_rich(render_history(rows))
