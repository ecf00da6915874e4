"""`reelforge cleanup` end to end: old runs lose folder, checkpoints and index row; the gallery stays."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tools.home import run_lock

pytestmark = pytest.mark.slow

LONG_AGO = "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A home with two finished, published runs: 'old' and 'new'."""
    home = tmp_path_factory.mktemp("made") / "home"
    for run_id, topic in (("old", "how bees dance"), ("new", "why leaves fall")):
        result = run_cli(
            home,
            "make",
            topic,
            "--run-id",
            run_id,
            "--duration",
            "10",
            "--voice",
            "espeak",
            "--preview",
            "--json",
        )
        assert result.code == 0, result.stderr
    return home


@pytest.fixture
def home(made, tmp_path) -> Path:
    """A private copy of the two-run home, with 'old' last updated long ago."""
    home = tmp_path / "home"
    shutil.copytree(made, home)
    index(home, "UPDATE runs SET updated_at = ? WHERE run_id = 'old'", LONG_AGO)
    return home


def index(home: Path, sql: str, *args: str) -> list[tuple]:
    with sqlite3.connect(home / "index.sqlite") as conn:
        return conn.execute(sql, args).fetchall()


def checkpoints(home: Path, thread_id: str) -> int:
    with sqlite3.connect(home / "checkpoints.sqlite") as conn:
        return conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)).fetchone()[
            0
        ]


def run_ids(home: Path) -> list[str]:
    return sorted(row[0] for row in index(home, "SELECT run_id FROM runs"))


def test_dry_run_lists_and_deletes_nothing(home):
    result = run_cli(home, "cleanup", "--older-than", "1d", "--dry-run", "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert report["dry_run"] is True
    assert [(r["run_id"], r["thread_id"], r["status"], r["published"]) for r in report["runs"]] == [
        ("old", "make:old", "done", True)
    ]
    assert report["bytes"] == report["runs"][0]["bytes"] > 0
    assert (home / "runs" / "old").is_dir()
    assert checkpoints(home, "make:old") > 0
    assert run_ids(home) == ["new", "old"]


def test_removes_folder_checkpoints_and_row_and_keeps_the_gallery(home):
    new_checkpoints = checkpoints(home, "make:new")
    result = run_cli(home, "cleanup", "--older-than", "1d", "--json")
    assert result.code == 0, result.stderr
    assert [r["run_id"] for r in result.json()["runs"]] == ["old"]
    assert not (home / "runs" / "old").exists()
    assert checkpoints(home, "make:old") == 0
    assert run_ids(home) == ["new"]
    gone = run_cli(home, "show", "old")
    assert gone.code == 2 and "no run called 'old'" in gone.stderr
    # The other run is untouched, and the published video of the removed one is still in the gallery.
    assert (home / "runs" / "new" / "report.json").is_file()
    assert checkpoints(home, "make:new") == new_checkpoints
    assert run_cli(home, "show", "new", "--json").json()["status"] == "done"
    assert (home / "gallery" / "old" / "video.mp4").stat().st_size > 0
    assert "old/video.mp4" in (home / "gallery" / "index.html").read_text()
    # Nothing is left to remove the second time.
    assert run_cli(home, "cleanup", "--older-than", "1d", "--json").json()["runs"] == []


def test_keep_published_and_running_runs_are_never_touched(home):
    index(home, "UPDATE runs SET updated_at = ?, status = 'running' WHERE run_id = 'new'", LONG_AGO)
    # The test plays the live process running 'new': it holds the run folder's lock, as a run does.
    with run_lock(home / "runs" / "new"):
        kept = run_cli(home, "cleanup", "--older-than", "1d", "--keep-published", "--json")
        assert kept.code == 0, kept.stderr
        assert (kept.json()["runs"], kept.json()["kept_published"]) == ([], ["old"])
        assert run_ids(home) == ["new", "old"]

        # An unpublished old run goes even with --keep-published; a running one never does.
        shutil.rmtree(home / "gallery" / "old")
        removed = run_cli(home, "cleanup", "--older-than", "1d", "--keep-published", "--json")
        assert [r["run_id"] for r in removed.json()["runs"]] == ["old"]
        assert run_ids(home) == ["new"] and (home / "runs" / "new").is_dir()


def test_a_run_marked_running_whose_process_is_gone_is_cleaned_up_like_a_stopped_one(home):
    index(home, "UPDATE runs SET updated_at = ?, status = 'running' WHERE run_id = 'new'", LONG_AGO)
    listed = run_cli(home, "runs", "--json").json()
    assert {row["run_id"]: row["status"] for row in listed}["new"] == "stopped"
    removed = run_cli(home, "cleanup", "--older-than", "1d", "--json")
    assert sorted(r["run_id"] for r in removed.json()["runs"]) == ["new", "old"]
    assert run_ids(home) == []


def test_table_and_bad_option(home):
    shown = run_cli(home, "cleanup", "--older-than", "1d", "--dry-run")
    assert shown.code == 0, shown.stderr
    assert "Would remove 1 run" in shown.stdout and "Gallery entries are never deleted" in shown.stdout
    bad = run_cli(home, "cleanup", "--older-than", "soon")
    assert bad.code == 2
    assert (
        bad.stderr.strip()
        == "error: cannot read --older-than 'soon'; use 30d, 12h, 2w or a date like 2026-11-01"
    )
    assert run_ids(home) == ["new", "old"]
