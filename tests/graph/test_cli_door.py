"""The CLI's door, in-process: usage errors, disk and database errors, and run ids all end as one line."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
import typer

from graph import cli_common
from graph.cleanup import cutoff_of
from graph.cli import main
from graph.cli_common import errors, one_line, run_app
from graph.run_ids import check_run_id
from graph.settings import load_settings
from tools.errors import BadInput


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "╭" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["make", "coffee", "--duration", "abc"],
            "error: --duration: 'abc' is not a whole number; give a whole number, e.g. --duration 60",
        ),
        (["make", "coffee", "--duration", "1.5"], "error: --duration: '1.5' is not a whole number"),
        (["runs", "--limit", "many"], "error: --limit: 'many' is not a whole number"),
        (["make", "coffee", "--bogus"], "error: --bogus: no such option for 'reelforge make'"),
        (["make", "coffee", "--durration", "9"], "(did you mean --duration?)"),
        (["make"], "error: TOPIC: missing; add it, as in 'reelforge make TOPIC'"),
        (["regen", "r1"], "error: --scene: missing; add it, as in '--scene VALUE'"),
        (["make", "coffee", "--duration"], "error: --duration: no value after it"),
        (["runs", "--json=1"], "error: --json: is a switch and takes no value"),
        (["make", "a", "b"], "got unexpected extra argument(s) (b); put an argument with spaces in quotes"),
        (["mkae"], "error: reelforge: no such command 'mkae'"),
        (["--nope"], "error: --nope: no such option for 'reelforge'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Defect 9.7: click's usage box became one `error:` line naming the option and the fix."""
    assert run_app(args) == 2
    assert line in _one_error_line(capsys)


def test_help_still_works_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_app(["--help"]) == 0
    assert "make" in capsys.readouterr().out
    assert run_app(["make", "--help"]) == 0
    assert "--duration" in capsys.readouterr().out


def test_main_exits_with_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["make", "coffee", "--duration", "x"])
    assert caught.value.code == 2
    _one_error_line(capsys)


def _fail_inside(
    exc: BaseException, capsys: pytest.CaptureFixture[str], run_id: str | None = None
) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as caught, errors(run_id):
        raise exc
    return caught.value.exit_code, _one_error_line(capsys)


@pytest.fixture
def known_home(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(cli_common, "_known_home", lambda: "/srv/reelforge")
    return "/srv/reelforge"


@pytest.mark.parametrize(
    ("code", "filename", "words"),
    [
        (errno.ENOSPC, "/srv/reelforge/runs/r1/video.mp4", "no space left on the device; free some space"),
        (errno.EROFS, "/srv/reelforge/index.sqlite", "the file system is read-only"),
        (errno.EACCES, "/srv/reelforge/logs", "permission denied; fix its permissions"),
        (errno.EDQUOT, "/srv/reelforge/ledger.sqlite", "the disk quota is used up"),
    ],
)
def test_disk_errors_name_the_path_and_the_fix(
    code: int, filename: str, words: str, known_home: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, line = _fail_inside(OSError(code, "raw words", filename), capsys)
    assert exit_code == 2
    assert line.startswith(f"error: cannot use {filename}: {words}")
    assert line.endswith("or set REELFORGE_HOME to a writable folder")


def test_a_disk_error_outside_the_home_asks_for_another_path(
    known_home: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, line = _fail_inside(PermissionError(errno.EACCES, "Permission denied", "/data/song.mp3"), capsys)
    assert (
        line
        == "error: cannot use /data/song.mp3: permission denied; fix its permissions, or give another path"
    )


def test_a_disk_error_mid_run_says_how_to_resume(known_home: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, line = _fail_inside(OSError(errno.ENOSPC, "No space", "/srv/reelforge/runs/r1/x"), capsys, run_id="r1")
    assert line.endswith("; then 'reelforge resume r1'")


def test_a_file_in_the_way_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    exc = NotADirectoryError(errno.ENOTDIR, "Not a directory", str(blocker / "home" / "logs"))
    _, line = _fail_inside(exc, capsys)
    assert f"{blocker} is a file, not a folder" in line


def test_database_errors_are_one_line(known_home: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, line = _fail_inside(sqlite3.DatabaseError("file is not a database"), capsys)
    assert code == 2
    assert "a reelforge database in /srv/reelforge cannot be used (file is not a database)" in line
    code, line = _fail_inside(sqlite3.OperationalError("database is locked"), capsys)
    assert code == 1 and "is busy (database is locked)" in line


def test_connection_errors_keep_the_generic_wording(capsys: pytest.CaptureFixture[str]) -> None:
    code, line = _fail_inside(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), capsys)
    assert code == 1 and "ConnectionRefusedError" in line


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli_common._state, "debug", True)
    with pytest.raises(OSError), errors():
        raise OSError(errno.ENOSPC, "No space left on device", "/x")


def test_error_lines_escape_what_would_break_them() -> None:
    assert one_line("a\nb\x1b[31mc\u202ed") == "a\\nb\\x1b[31mc\\u202ed"
    assert one_line("caf\u00e9 \u5496\u5561") == "caf\u00e9 \u5496\u5561"


@pytest.mark.parametrize(
    ("run_id", "words"),
    [
        ("", "--run-id: the run id is empty; give a name or leave the flag out"),
        ("   ", "--run-id: the run id is empty"),
        ("../x", "--run-id: invalid run id '../x'"),
        ("a/b", "invalid run id 'a/b'"),
        ("r" * 81, "(81 characters)"),
        (".hidden", "invalid run id '.hidden'"),
        ("x\ny", "invalid run id 'x\\ny'"),
    ],
)
def test_bad_run_ids(run_id: str, words: str) -> None:
    """Defect 9.8b: an empty --run-id was silently replaced by a generated one."""
    with pytest.raises(BadInput) as caught:
        check_run_id(run_id, flag="--run-id")
    assert words in str(caught.value)


def test_an_empty_run_id_without_a_flag_asks_for_a_run() -> None:
    with pytest.raises(BadInput, match="the run id is empty; give a run id"):
        check_run_id("")


@pytest.mark.parametrize(
    ("text", "flag", "words"),
    [
        ("99999999d", "--since", "--since '99999999d' reaches back before the calendar starts"),
        ("99999999d", "--older-than", "--older-than '99999999d' reaches back before the calendar starts"),
        ("9" * 400 + "w", "--since", "reaches back before the calendar starts"),
        ("1e30d", "--older-than", "cannot read --older-than '1e30d'"),
        ("2026-13-45", "--since", "cannot read --since"),
    ],
)
def test_spans_beyond_the_calendar_are_bad_input(text: str, flag: str, words: str) -> None:
    """Defect 9.7: huge --since and --older-than spans raised a raw ValueError or OverflowError."""
    with pytest.raises(BadInput) as caught:
        cutoff_of(text, flag=flag)
    assert words in str(caught.value) and len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("checkpoint_ttl_s = 1.5\n", "checkpoint_ttl_s = 1.5 must be a whole number"),
        ("redis_url = 5\n", "redis_url = 5 must be text (in quotes)"),
        ("min_free_gb = nan\n", "min_free_gb = nan must be a number of GB, 0 or more"),
    ],
)
def test_settings_file_types_are_worded(
    toml: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "reelforge.toml"
    config.write_text(toml)
    monkeypatch.setenv("REELFORGE_CONFIG", str(config))
    monkeypatch.setenv("REELFORGE_HOME", str(tmp_path / "home"))
    with pytest.raises(BadInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


@pytest.mark.parametrize("value", ["nan", "abc", "inf", "-1"])
def test_min_free_gb_from_the_environment_is_one_line(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REELFORGE_MIN_FREE_GB", value)
    with pytest.raises(BadInput) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"REELFORGE_MIN_FREE_GB={value!r} must be a number") and "\n" not in message


def test_a_config_folder_is_not_called_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_CONFIG", str(tmp_path))
    with pytest.raises(BadInput, match="which is a folder; name the reelforge.toml file"):
        load_settings()
