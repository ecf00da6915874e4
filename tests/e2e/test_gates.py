"""Approval gates end to end: stop at the script or publish gate, approve (with an edit) or reject.

What must hold: a run waiting at a gate says so in every door and holds nothing; answering it never
repeats the work before the gate; an edited script is what the video says; a rejection leaves no video;
and every wrong answer is one line, exit 2, with nothing changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.journal_checks import node_starts
from tests.media_checks import measure

pytestmark = pytest.mark.slow

FAST = ("--duration", "15", "--voice", "espeak", "--preview")
EDITED = "Worker bees fan the nectar with their wings."


def _make_waiting(home: Path, run_id: str, *gates: str, topic: str = "how honey is made") -> dict:
    made = run_cli(home, "make", topic, *FAST, *gates, "--run-id", run_id, "--json")
    assert made.code == 0, made.stderr
    return made.json()


def _status(home: Path, run_id: str) -> dict:
    return {row["run_id"]: row for row in run_cli(home, "runs", "--json").json()}[run_id]


def _one_line(result, needle: str, code: int = 2) -> None:
    assert result.code == code, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], lines[0]


def test_review_then_approve_an_edited_script(home: Path, tmp_path: Path):
    waiting = _make_waiting(home, "honey", "--review")
    assert (waiting["status"], waiting["gate"]) == ("waiting", "script")
    script = waiting["waiting"]["script"]
    assert [scene["index"] for scene in script["scenes"]] == list(range(1, len(script["scenes"]) + 1))
    row = _status(home, "honey")
    assert (row["status"], row["video"]) == ("waiting", None)
    run_dir = home / "runs" / "honey"
    before = node_starts(run_dir)
    assert before["content_generation.make_scene"] == 0, "nothing after the gate ran"

    shown = run_cli(home, "show", "honey", "--json").json()
    assert (shown["status"], shown["gate"], shown["video"], shown["scenes"]) == (
        "waiting",
        "script",
        None,
        [],
    )
    assert shown["waiting"]["gate"] == "script" and shown["waiting"]["script"] == script
    edited = json.loads(json.dumps(shown["waiting"]["script"]))
    edited["scenes"][1]["narration"] = EDITED
    (tmp_path / "edited.json").write_text(json.dumps(edited, indent=2))

    approved = run_cli(home, "approve", "honey", "--script", str(tmp_path / "edited.json"), "--json")
    assert approved.code == 0, approved.stderr
    result = approved.json()
    assert result["status"] == "done", result
    subtitles = (run_dir / "video").glob("subtitles-*.srt")
    assert any("Worker bees fan the nectar" in " ".join(path.read_text().split()) for path in subtitles)
    after = node_starts(run_dir)
    # Answering re-runs only the gate, and the quality gate checks the edit once; nothing else before
    # the gate runs again, and each scene is made once after it.
    checks = ("content_generation.review_script", "content_generation.check_script")
    for node, count in before.items():
        if node not in checks:
            assert after[node] == count, f"{node} ran again when the gate was answered"
    assert after["content_generation.check_script"] == before["content_generation.check_script"] + 1
    assert after["content_generation.make_scene"] == len(edited["scenes"])
    final = run_cli(home, "show", "honey", "--json").json()
    assert final["status"] == "done" and final["waiting"] is None
    assert final["approvals"] == [{"gate": "script", "decision": "approve", "edited": True, "reason": ""}]
    m = measure(Path(final["video"]["path"]))
    assert (m.video_codec, m.audio_codec) == ("h264", "aac")
    assert abs(m.duration_s - 15) <= 15 * 0.15

    # The run is done now: another answer is one line and changes nothing.
    again = run_cli(home, "approve", "honey")
    _one_line(again, "run honey is not waiting at a gate (status: done)")
    assert node_starts(run_dir) == after


def test_reject_at_the_script_gate_leaves_no_video(home: Path):
    _make_waiting(home, "nope", "--review")
    rejected = run_cli(home, "reject", "nope", "--reason", "off topic", "--json")
    assert rejected.code == 0, rejected.stderr
    assert rejected.json()["status"] == "rejected"
    row = _status(home, "nope")
    assert (row["status"], row["video"]) == ("rejected", None)
    shown = run_cli(home, "show", "nope", "--json").json()
    assert shown["video"] is None and "off topic" in shown["error"]
    assert not (home / "runs" / "nope" / "video").exists() and not (home / "gallery" / "nope").exists()
    assert node_starts(home / "runs" / "nope")["content_generation.make_scene"] == 0
    _one_line(run_cli(home, "resume", "nope"), "run nope was rejected")


def test_the_publish_gate_stops_before_anything_is_published(home: Path):
    waiting = _make_waiting(home, "pub", "--approve-publish", topic="why leaves fall")
    assert (waiting["status"], waiting["gate"]) == ("waiting", "publish")
    video = Path(waiting["waiting"]["video"]["path"])
    assert video.is_file() and waiting["waiting"]["targets"] == ["gallery"]
    assert not (home / "gallery" / "pub").exists()
    approved = run_cli(home, "approve", "pub", "--json")
    assert approved.code == 0, approved.stderr
    assert approved.json()["status"] == "done"
    assert (home / "gallery" / "pub" / "video.mp4").is_file()
    assert node_starts(home / "runs" / "pub")["video_production.render_scenes"] == 1


def test_wrong_answers_are_one_line_and_change_nothing(home: Path, tmp_path: Path):
    _make_waiting(home, "wait", "--review")
    script = run_cli(home, "show", "wait", "--json").json()["waiting"]["script"]
    journal = node_starts(home / "runs" / "wait")

    empty = json.loads(json.dumps(script))
    empty["scenes"][1]["narration"] = "   "
    (tmp_path / "empty.json").write_text(json.dumps(empty))
    _one_line(
        run_cli(home, "approve", "wait", "--script", str(tmp_path / "empty.json")),
        f"{tmp_path / 'empty.json'}: scenes.2.narration: is empty",
    )
    unknown = {**script, "colour": "red"}
    (tmp_path / "unknown.json").write_text(json.dumps(unknown))
    _one_line(run_cli(home, "approve", "wait", "--script", str(tmp_path / "unknown.json")), "colour")
    renumbered = json.loads(json.dumps(script))
    renumbered["scenes"][0]["index"] = 7
    (tmp_path / "renumbered.json").write_text(json.dumps(renumbered))
    _one_line(run_cli(home, "approve", "wait", "--script", str(tmp_path / "renumbered.json")), "number them")
    (tmp_path / "broken.json").write_text('{"title": ')
    _one_line(run_cli(home, "approve", "wait", "--script", str(tmp_path / "broken.json")), "is not JSON")
    _one_line(
        run_cli(home, "approve", "wait", "--script", str(tmp_path / "missing.json")), "script file not found"
    )
    _one_line(run_cli(home, "approve", "ghost"), "no run called 'ghost'")
    _one_line(run_cli(home, "follow", "ghost"), "no run called 'ghost'")
    _one_line(run_cli(home, "regen", "wait", "--scene", "1"), "run wait has no video yet")
    _one_line(run_cli(home, "resume", "wait"), "waiting at the script gate")

    assert _status(home, "wait")["status"] == "waiting"
    assert node_starts(home / "runs" / "wait") == journal
    assert run_cli(home, "show", "wait", "--json").json()["waiting"]["script"] == script
