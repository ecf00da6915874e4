"""`reelforge daily` end to end: each item once per date, failures isolated, crashed items resumed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_env, run_cli
from tests.journal_checks import finished_nodes, node_starts, read_journal

pytestmark = pytest.mark.slow

DAY = "2026-11-22"
FAST = 'duration = 10\nvoice = "espeak"\npreview = true\n'


def item(topic: str, extra: str = "", prefix: str = "") -> str:
    return f'[[{prefix}items]]\ntopic = "{topic}"\n{FAST}{extra}\n'


def write_plan(tmp_path: Path, *items: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text('time = "0 6 * * *"\n\n' + "".join(items), encoding="utf-8")
    return path


def outcomes(result) -> dict[str, str]:
    return {entry["slug"]: entry["outcome"] for entry in result.json()["items"]}


def test_twice_for_one_date_makes_each_video_once(home):
    # The plan lives in the home's reelforge.toml, as an operator would keep it.
    (home / "reelforge.toml").write_text(
        '[daily]\ntime = "0 6 * * *"\n\n'
        + item("how bees dance", prefix="daily.")
        + item("why leaves fall", prefix="daily."),
        encoding="utf-8",
    )
    first = run_cli(home, "daily", "--date", DAY, "--json")
    assert first.code == 0, first.stderr
    report = first.json()
    assert report["date"] == DAY
    assert [(i["slug"], i["run_id"], i["thread_id"], i["outcome"], i["error"]) for i in report["items"]] == [
        ("how-bees-dance", f"daily-{DAY}-how-bees-dance", f"daily:{DAY}:how-bees-dance", "made", None),
        ("why-leaves-fall", f"daily-{DAY}-why-leaves-fall", f"daily:{DAY}:why-leaves-fall", "made", None),
    ]
    for entry in report["items"]:
        assert Path(entry["video"]).is_file()
    # The index keeps each run's thread, and `show` finds the finished checkpoint there.
    listed = {r["run_id"]: r["status"] for r in run_cli(home, "runs", "--json").json()}
    assert listed == {e["run_id"]: "done" for e in report["items"]}
    shown = run_cli(home, "show", f"daily-{DAY}-how-bees-dance", "--json").json()
    assert (shown["status"], shown["thread_id"], shown["next"]) == ("done", f"daily:{DAY}:how-bees-dance", [])
    lines = {e["run_id"]: len(read_journal(home / "runs" / e["run_id"])) for e in report["items"]}

    second = run_cli(home, "daily", "--date", DAY, "--json")
    assert second.code == 0, second.stderr
    assert outcomes(second) == {"how-bees-dance": "already done", "why-leaves-fall": "already done"}
    assert [e["video"] for e in second.json()["items"]] == [e["video"] for e in report["items"]]
    assert {run_id: len(read_journal(home / "runs" / run_id)) for run_id in lines} == lines, (
        "a node ran again"
    )

    gallery = home / "gallery"
    assert sorted(p.name for p in gallery.iterdir() if p.is_dir()) == sorted(lines)
    channel = ET.parse(gallery / "feed.xml").getroot().find("channel")
    assert len(channel.findall("item")) == 2


def test_a_failing_item_does_not_stop_the_others(home, tmp_path):
    notes = tmp_path / "notes.md"  # missing when the plan first runs
    plan = write_plan(tmp_path, item("coffee", 'sources = ["notes.md"]'), item("tea"))
    result = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert result.code == 1, result.stderr
    first, second = result.json()["items"]
    assert (first["slug"], first["outcome"], first["video"]) == ("coffee", "failed", None)
    assert "source file not found" in first["error"] and str(notes) in first["error"]
    assert (second["outcome"], second["error"]) == ("made", None)
    assert Path(second["video"]).is_file()
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: 1 of 2 items failed") and f"--date {DAY}" in lines[-1]
    assert "Traceback" not in result.stderr

    # Fixing the cause and running the plan again makes only what is missing.
    notes.write_text("# Coffee\n\nCoffee beans are the seeds of a cherry. Brazil grows the most coffee.\n")
    again = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert again.code == 0, again.stderr
    assert outcomes(again) == {"coffee": "made", "tea": "already done"}


def test_a_crashed_item_is_resumed_by_the_next_run(home, tmp_path):
    plan = write_plan(
        tmp_path, item("how glaciers move").replace("duration = 10", "duration = 20"), item("tides")
    )
    run_id = f"daily-{DAY}-how-glaciers-move"
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.cli", "daily", "--date", DAY, "--plan", str(plan), "--json"],
        cwd=ROOT,
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    run_dir = home / "runs" / run_id
    while not node_starts(run_dir)["video_production.render_scenes"]:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "render_scenes never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    finished = finished_nodes(run_dir)
    assert "video_production.render_scenes" not in finished, "the kill came too late to test anything"
    starts_before = node_starts(run_dir)
    # The index still says running, but its process is gone: every door reports it stopped.
    assert run_cli(home, "show", run_id, "--json").json()["status"] == "stopped"

    result = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert result.code == 0, result.stderr
    assert outcomes(result) == {"how-glaciers-move": "resumed", "tides": "made"}
    after = node_starts(run_dir)
    for node in finished:
        assert after[node] == starts_before[node], f"{node} ran again after the resume"
    assert after["video_production.render_scenes"] == starts_before["video_production.render_scenes"] + 1
    assert after["publishing.publish_gallery"] == 1
    assert Path(result.json()["items"][0]["video"]).is_file()


def test_an_item_another_process_is_running_is_left_alone(home, tmp_path):
    from tools.home import run_lock
    from tools.storage.sqlite_run_index import RunIndex

    plan = write_plan(tmp_path, item("busy bees"))
    run_id = f"daily-{DAY}-busy-bees"
    home.joinpath("runs").mkdir()
    RunIndex(home / "index.sqlite").create(
        run_id, f"daily:{DAY}:busy-bees", "busy bees", {}, status="running"
    )
    with run_lock(home / "runs" / run_id):
        result = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert result.code == 1, result.stderr
    (entry,) = result.json()["items"]
    assert entry["outcome"] == "failed" and "is running on another process" in entry["error"]
    assert RunIndex(home / "index.sqlite").get(run_id).status == "running"
    assert read_journal(home / "runs" / run_id) == []


def _one_line_error(result, needle: str, code: int = 2) -> None:
    assert result.code == code, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]


@pytest.mark.parametrize("day", ["2026-13-01", "22-11-2026", "2026-11-22T06:00", "tomorrow"])
def test_bad_date(home, tmp_path, day):
    plan = write_plan(tmp_path, item("x"))
    result = run_cli(home, "daily", "--date", day, "--plan", str(plan))
    _one_line_error(result, f"invalid --date '{day}'; use YYYY-MM-DD")
    assert not (home / "runs").exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (item("x") + "durration = 10\n", "unknown key 'durration' in [[items]] #1; did you mean 'duration'?"),
        ('time = "0 6 * *"\n' + item("x"), "has 4 fields"),
        (item("x") + item("X"), "two items have the slug 'x'"),
        ('[[items]]\nvoice = "espeak"\n', "needs a topic or a source"),
        (item("x").replace("duration = 10", "duration = 5"), "duration 5 s is out of range; use 10 to 600"),
    ],
    ids=["unknown-key", "bad-cron", "duplicate-slug", "no-topic", "bad-duration"],
)
def test_bad_plan_file(home, tmp_path, text, needle):
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    _one_line_error(run_cli(home, "daily", "--date", DAY, "--plan", str(plan)), needle)
    assert not (home / "runs").exists()


def test_no_plan(home, tmp_path):
    _one_line_error(
        run_cli(home, "daily"), "no daily plan: add [daily] with [[daily.items]] to reelforge.toml"
    )
    missing = tmp_path / "missing.toml"
    _one_line_error(run_cli(home, "daily", "--plan", str(missing)), f"plan file not found: {missing}")


def test_an_item_with_a_gate_waits_until_it_is_answered(home, tmp_path):
    plan = write_plan(tmp_path, item("how owls see", 'gates = ["script"]'), item("tea"))
    first = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert first.code == 0, first.stderr
    assert outcomes(first) == {"how-owls-see": "waiting", "tea": "made"}
    again = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert outcomes(again) == {"how-owls-see": "waiting", "tea": "already done"}, "waiting is not rerun"
    run_id = f"daily-{DAY}-how-owls-see"
    approved = run_cli(home, "approve", run_id, "--json")
    assert approved.code == 0 and approved.json()["status"] == "done", approved.stderr
    last = run_cli(home, "daily", "--date", DAY, "--plan", str(plan), "--json")
    assert outcomes(last) == {"how-owls-see": "already done", "tea": "already done"}
