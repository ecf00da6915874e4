"""What every `reelforge` command shares: the Typer app, global flags, the services, and error wording.

Heavy modules are imported inside functions, so `reelforge --help` stays instant.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
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
    "visuals": "--visuals",
    "captions": "--captions",
    "sources": "--source",
    "music": "--music",
    "targets": "--target",
    "gates": "--review/--approve-publish",
    "preview": "--preview",
    "model": "--model",
    "providers": "--provider",
    "dry_run": "--dry-run",
    "publish_at": "--publish-at",
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
    # Settings first: a bad reelforge.toml or variable fails before the (slow) run service loads.
    found = services()
    from graph.runs import SyncRunService

    return SyncRunService(found)


def fail(message: str, code: int) -> typer.Exit:
    """Print one redacted error line and return the Exit to raise."""
    from tools.secrets import redact

    typer.echo(f"error: {one_line(redact(message))}", err=True)
    return typer.Exit(code)


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped, so an error stays one safe line.

    A value the user typed may hold a newline, an ANSI escape or a right-to-left override.
    """
    import unicodedata

    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        else char
        for char in text
    )


def field_words(error: InvalidField, flags: dict[str, str] = FIELD_FLAGS) -> str:
    """An invalid field in the CLI's words: the flag that sets it, then the problem."""
    return f"{flags.get(error.field, error.field)}: {error.problem}"


@contextmanager
def errors(run_id: str | None = None, words: Callable[[InvalidField], str] = field_words) -> Iterator[None]:
    """Turn known errors into one line and an exit code; tracebacks only with --debug."""
    import sqlite3

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
        # A full disk, a read-only or unwritable folder, a damaged database: the user's to fix (exit 2).
        found = environment_words(exc) if isinstance(exc, OSError | sqlite3.DatabaseError) else None
        if found is not None:
            message, code = found
            hint = f"; then 'reelforge resume {run_id}'" if run_id else ""
            raise fail(f"{message}{hint}", code) from None
        hint = f"; after fixing it, 'reelforge resume {run_id}'" if run_id else ""
        raise fail(
            f"{type(exc).__name__}: {first_line(exc)} (rerun with --debug for the traceback){hint}",
            EXIT_FAILED,
        ) from None


# errno → (what went wrong, what to do) for the disk and file problems a user can fix. A missing file is
# not here: mid-run it is more likely a bug than the user's doing, and keeps the generic wording.
_DISK_PROBLEMS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space (e.g. 'reelforge cleanup')"),
    errno.EDQUOT: ("the disk quota is used up", "free some space (e.g. 'reelforge cleanup')"),
    errno.EROFS: ("the file system is read-only", "use a writable folder"),
    errno.EACCES: ("permission denied", "fix its permissions"),
    errno.EPERM: ("operation not permitted", "fix its permissions"),
    errno.ENOTDIR: ("part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("it is a folder, not a file", "check the path"),
    errno.EEXIST: ("a file is in the way of a folder", "move it aside"),
    errno.ENAMETOOLONG: ("the path is too long", "use a shorter path"),
    errno.ELOOP: ("the path loops through symbolic links", "check the path"),
}


def environment_words(exc: BaseException) -> tuple[str, int] | None:
    """An OSError or SQLite error as one line and an exit code; None for errors that are not the disk's."""
    import sqlite3

    from tools.errors import first_line

    home = _known_home()
    where = f" in {home}" if home else ""
    if isinstance(exc, sqlite3.DatabaseError):
        text = first_line(exc)
        if "locked" in text or "busy" in text:
            return (
                f"a reelforge database{where} is busy ({text}); another process is writing to it, "
                "so wait a moment and try again",
                EXIT_FAILED,
            )
        if "full" in text or (home is not None and _nearly_full(home)):
            # SQLite reports a full disk as "database or disk is full", or as a bare I/O error.
            problem, fix = _DISK_PROBLEMS[errno.ENOSPC]
            return f"{problem}{where} ({text}); {fix}", EXIT_BAD_INPUT
        return (
            f"a reelforge database{where} cannot be used ({text}); move the damaged .sqlite file aside "
            "(checkpoints, index or ledger) or set REELFORGE_HOME to another folder",
            EXIT_BAD_INPUT,
        )
    if not isinstance(exc, OSError) or exc.errno not in _DISK_PROBLEMS:
        # Refused connections and timeouts are not the user's files: they keep the generic message.
        return None
    problem, fix = _DISK_PROBLEMS[exc.errno]
    path = os.fsdecode(exc.filename) if isinstance(exc.filename, str | bytes) else ""
    if path and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        from tools.home import file_in_the_way

        blocker = file_in_the_way(Path(path))
        if blocker is not None:
            problem = f"{blocker} is a file, not a folder"
    # A path inside the home (or any path, before the home is known) is fixed by moving the home.
    elsewhere = "set REELFORGE_HOME to a writable folder"
    if home and path and not Path(path).is_relative_to(home):
        elsewhere = "give another path"
    subject = f"cannot use {path}" if path else "a file operation failed"
    return f"{subject}: {problem}; {fix}, or {elsewhere}", EXIT_BAD_INPUT


def _nearly_full(folder: str, below_bytes: int = 1 << 20) -> bool:
    """Whether the disk holding `folder` has (almost) no space left."""
    import shutil

    try:
        return shutil.disk_usage(folder).free < below_bytes
    except OSError:
        return False


def _known_home() -> str | None:
    """The home folder when this process already read its settings (never read them to say so)."""
    if services.cache_info().currsize:
        return str(services().settings.home)
    return None


def echo_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    import json

    typer.echo(json.dumps(value))


def print_rich(renderable: Any, *, stderr: bool = False) -> None:
    """Print a rich renderable (tables keep their run ids whole at any width)."""
    from rich.console import Console

    Console(stderr=stderr).print(renderable)


def run_app(args: list[str]) -> int:
    """Run the app on `args` and return the exit code; usage errors and anything unhandled become one line.

    Typer's standalone mode would print click's usage box for a bad flag: here it is `error: ...`, exit 2,
    like every other bad input. `--help` still prints help and exits 0.
    """
    from tools.errors import first_line

    usage_error = _click_exceptions().UsageError
    try:
        with errors():
            try:
                result = app(args, prog_name="reelforge", standalone_mode=False)
            except usage_error as exc:
                if type(exc).__name__ == "NoArgsIsHelpError":
                    # Typer printed the help while raising it; click exits 2 after it, and so do we.
                    return EXIT_BAD_INPUT
                raise fail(usage_words(exc, args), EXIT_BAD_INPUT) from None
            except typer.Abort:
                raise fail("stopped: the input ended", EXIT_FAILED) from None
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        # errors() words every exception, or re-raises it with --debug: then the traceback is the point.
        if debugging():
            raise
        typer.echo(f"error: {one_line(first_line(exc))}", err=True)  # pragma: no cover - the last net
        return EXIT_FAILED  # pragma: no cover
    return result if isinstance(result, int) else 0


def _click_exceptions() -> Any:
    """Click's exception classes: Typer 0.2x vendors its own click, older Typers use the click package."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # pragma: no cover - only with an older Typer
        return importlib.import_module("click.exceptions")


def _closest(given: str, possibilities: list[str]) -> list[str]:
    """Click's guesses for a misspelt option, keeping only those as close as the closest one: --durration
    means --duration, not --dry-run as well."""
    import difflib

    if not possibilities:
        return []
    ratios = {name: difflib.SequenceMatcher(None, given, name).ratio() for name in possibilities}
    best = max(ratios.values())
    return [name for name in possibilities if ratios[name] >= best - 0.05]


def usage_words(exc: Exception, args: list[str]) -> str:
    """A click usage error as `<flag>: <problem>; <fix>`: the flag, what was wrong and what to type."""
    import re

    click_errors = _click_exceptions()
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else _command_path(args)
    see = f"see '{command} --help'"
    message = str(getattr(exc, "message", "") or exc).strip().rstrip(".")
    if isinstance(exc, click_errors.NoSuchOption):
        guesses = _closest(exc.option_name, list(exc.possibilities or []))
        guess = f" (did you mean {' or '.join(guesses)}?)" if guesses else ""
        return f"{exc.option_name}: no such option for '{command}'{guess}; check the spelling, or {see}"
    if isinstance(exc, click_errors.BadParameter) and exc.param is not None:
        param = exc.param
        is_option = getattr(param, "param_type_name", "") == "option" and bool(getattr(param, "opts", None))
        name = param.opts[0] if is_option else (param.name or "argument").upper()
        if isinstance(exc, click_errors.MissingParameter):
            usage = f"{name} {_example(param)}" if is_option else f"{command} {name}"
            return f"{name}: missing; add it, as in '{usage}' ({see})"
        value = _given_value(args, list(param.opts)) if is_option else None
        shown = _short(value) if value is not None else "the value"
        lowered = message.lower()
        if "integer" in lowered:
            problem, wanted = f"{shown} is not a whole number", "a whole number"
        elif "number" in lowered or "float" in lowered:
            problem, wanted = f"{shown} is not a number", "a number"
        else:
            problem, wanted = _lower_first(message), "a valid value"
        example = f"e.g. {name} {_example(param)}" if is_option else see
        return f"{name}: {problem}; give {wanted}, {example}"
    if isinstance(exc, click_errors.BadOptionUsage) and exc.option_name:
        option = exc.option_name
        if "requires an argument" in message:
            return f"{option}: no value after it; give one, as in '{option} VALUE' ({see})"
        if "does not take a value" in message:
            return f"{option}: is a switch and takes no value; write it alone, as in '{option}' ({see})"
        return f"{option}: {_lower_first(re.sub(r'^[Oo]ption .{{1,80}}? ', '', message))}; {see}"
    if "extra argument" in message:
        return f"{command}: {_lower_first(message)}; put an argument with spaces in quotes, or {see}"
    return f"{command}: {_lower_first(message) or 'bad usage'}; {see}"


def _command_path(args: list[str]) -> str:
    """'reelforge COMMAND' for the first argument that names a command, else 'reelforge'."""
    names = {
        command.name or (command.callback.__name__ if command.callback else "")
        for command in app.registered_commands
    }
    found = next((arg for arg in args if arg in names), None)
    return f"reelforge {found}" if found else "reelforge"


def _given_value(args: list[str], opts: list[str]) -> str | None:
    """The last value given on the command line to one of `opts` (`--flag VALUE` or `--flag=VALUE`)."""
    found = None
    for position, token in enumerate(args):
        for opt in opts:
            if token == opt and position + 1 < len(args):
                found = args[position + 1]
            elif token.startswith(opt + "="):
                found = token[len(opt) + 1 :]
    return found


def _example(param: Any) -> str:
    """A value that works for an option: its default when it has a plain one."""
    default = getattr(param, "default", None)
    if isinstance(default, int | float | str) and not isinstance(default, bool) and str(default):
        return str(default)
    return str(getattr(param, "metavar", None) or "VALUE")


def _short(value: str, limit: int = 40) -> str:
    """A value the user typed, quoted and cut short: a 10,000-digit number need not come back whole."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(shown)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def third_party_notice() -> None:
    """Once per home, on the first run that could use the free tier: what it sends to third parties."""
    from graph.third_party import first_run_notice

    settings = services().settings
    if line := first_run_notice(settings.home, settings.router):
        typer.echo(line, err=True)
