"""What every `reelforge` command shares: the Typer app, global flags, the services, and error wording.

Heavy modules are imported inside functions, so `reelforge --help` stays instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from graph.runs import SyncRunService
    from graph.services import Services
    from tools.errors import InvalidField

app = typer.Typer(
    name="reelforge",
    help="Turn a request into a published short video, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130
_state: dict[str, Any] = {"debug": False, "redis": None}

# A job's fields as `make` sets them: validation messages are neutral, the CLI names its own flags.
FIELD_FLAGS = {
    "topic": "TOPIC",
    "duration_s": "--duration",
    "aspect": "--aspect",
    "lang": "--lang",
    "voice": "--voice",
    "style": "--style",
    "sources": "--source",
    "music": "--music",
    "targets": "--target",
    "gates": "--review/--approve-publish",
    "preview": "--preview",
    "model": "--model",
    "scene": "--scene",
    "narration": "--narration",
    "visual": "--visual",
    "reason": "--reason",
}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    redis: Annotated[
        str | None,
        typer.Option(
            "--redis",
            metavar="URL",
            help="Keep checkpoints, runs, events and the ledger in Redis (default: $REDIS_URL).",
        ),
    ] = None,
) -> None:
    """reelforge: a LangGraph orchestrator that writes, voices, renders and publishes short videos."""
    _state["debug"] = debug
    _state["redis"] = redis


def debugging() -> bool:
    """True with --debug."""
    return bool(_state["debug"])


@cache
def services() -> Services:
    """This process's settings and stores, read and opened once (the --redis flag wins over REDIS_URL)."""
    from graph.services import load_settings, open_services

    overrides = {"redis_url": _state["redis"]} if _state["redis"] else {}
    return open_services(load_settings(**overrides), log_to_stderr=debugging())


@cache
def runs() -> SyncRunService:
    """The run service every command goes through."""
    from graph.runs import SyncRunService

    return SyncRunService(services())


def fail(message: str, code: int) -> typer.Exit:
    """Print one redacted error line and return the Exit to raise."""
    from tools.secrets import redact

    typer.echo(f"error: {redact(message)}", err=True)
    return typer.Exit(code)


def field_words(error: InvalidField, flags: dict[str, str] = FIELD_FLAGS) -> str:
    """An invalid field in the CLI's words: the flag that sets it, then the problem."""
    return f"{flags.get(error.field, error.field)}: {error.problem}"


@contextmanager
def errors(run_id: str | None = None, words: Callable[[InvalidField], str] = field_words) -> Iterator[None]:
    """Turn known errors into one line and an exit code; tracebacks only with --debug."""
    from tools.errors import BadInput, Interrupted, InvalidField, ReelforgeError, first_line

    try:
        yield
    except typer.Exit:
        raise
    except BrokenPipeError:
        # The reader went away (`reelforge follow RUN | head`): stop quietly, as other tools do.
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except (Interrupted, KeyboardInterrupt) as exc:
        message = str(exc) if isinstance(exc, Interrupted) else "stopped"
        raise fail(message, EXIT_INTERRUPTED) from None
    except InvalidField as exc:
        raise fail(words(exc), EXIT_BAD_INPUT) from None
    except BadInput as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except ReelforgeError as exc:
        if debugging():
            raise
        hint = f"; fix the cause, then 'reelforge resume {run_id}'" if run_id else ""
        raise fail(f"{exc}{hint}", EXIT_FAILED) from None
    except Exception as exc:
        if debugging():
            raise
        hint = f"; after fixing it, 'reelforge resume {run_id}'" if run_id else ""
        raise fail(
            f"{type(exc).__name__}: {first_line(exc)} (rerun with --debug for the traceback){hint}",
            EXIT_FAILED,
        ) from None


def echo_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    import json

    typer.echo(json.dumps(value))


def print_rich(renderable: Any, *, stderr: bool = False) -> None:
    """Print a rich renderable (tables keep their run ids whole at any width)."""
    from rich.console import Console

    Console(stderr=stderr).print(renderable)
