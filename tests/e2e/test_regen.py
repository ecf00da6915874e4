"""`reelforge regen`: one scene made again, every other artifact kept, a new verified video beside the old."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.journal_checks import node_starts
from tests.media_checks import measure

pytestmark = pytest.mark.slow


def _sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _scenes(shown: dict) -> dict[int, tuple[str, str]]:
    return {s["index"]: (s["image"]["sha256"], s["audio"]["sha256"]) for s in shown["scenes"]}


def test_regen_changes_only_that_scene_and_keeps_the_old_video(home: Path):
    args = ("--duration", "12", "--voice", "espeak", "--preview", "--run-id", "tides", "--json")
    made = run_cli(home, "make", "how tides work", *args)
    assert made.code == 0, made.stderr
    before = run_cli(home, "show", "tides", "--json").json()
    old_video = before["video"]
    gallery_video = home / "gallery" / "tides" / "video.mp4"
    assert _sha(gallery_video) == old_video["sha256"]
    starts = node_starts(home / "runs" / "tides")

    regen = run_cli(home, "regen", "tides", "--scene", "2", "--json")
    assert regen.code == 0, regen.stderr
    assert regen.json()["status"] == "done"
    after = run_cli(home, "show", "tides", "--json").json()

    # Scene 2 is a new take (even with the same words); every other scene keeps its files and hashes.
    old, new = _scenes(before), _scenes(after)
    assert new.keys() == old.keys()
    assert new[2][0] != old[2][0] and new[2][1] != old[2][1]
    assert {i: h for i, h in new.items() if i != 2} == {i: h for i, h in old.items() if i != 2}
    for scene in after["scenes"]:
        assert _sha(scene["image"]["path"]) == scene["image"]["sha256"]
        assert _sha(scene["audio"]["path"]) == scene["audio"]["sha256"]
    assert [s["variant"] for s in after["scenes"]] == [0, 1, 0, 0, 0][: len(after["scenes"])]

    # A new video, verified; the old one is still there, untouched, and still what the gallery shows.
    video = after["video"]
    assert video["path"] != old_video["path"]
    assert _sha(old_video["path"]) == old_video["sha256"]
    assert [v["path"] for v in after["videos"]] == [old_video["path"], video["path"]]
    m = measure(Path(video["path"]))
    assert (m.video_codec, m.audio_codec, m.fps) == ("h264", "aac", 30.0)
    assert abs(m.duration_s - 12) <= 12 * 0.15 and abs(m.integrated_lufs - (-14)) <= 1.5
    assert len(after["publications"]) == 1 and _sha(gallery_video) == old_video["sha256"]

    # Only scene 2 was made again; the script and facts were not touched.
    again = node_starts(home / "runs" / "tides")
    assert again["content_generation.remake_scene"] == 1
    for node in ("planning.plan_request", "data_acquisition.gather_facts", "content_generation.write_script"):
        assert again[node] == starts[node]
    assert again["content_generation.make_scene"] == starts["content_generation.make_scene"]

    # It is a fork of the run's checkpoint: the history holds both versions and the update between.
    history = run_cli(home, "history", "tides", "--json").json()
    videos = {row["video"] for row in history if row["video"]}
    assert {old_video["path"], video["path"]} <= videos
    assert any(row["source"] == "update" and row["next"] == ["content_generation"] for row in history)

    # With new words and --publish, the gallery gets the new version too.
    words = "The moon pulls the sea toward it."
    published = run_cli(home, "regen", "tides", "--scene", "2", "--narration", words, "--publish", "--json")
    assert published.code == 0, published.stderr
    last = run_cli(home, "show", "tides", "--json").json()
    assert len(last["videos"]) == 3 and len(last["publications"]) == 2
    assert _sha(gallery_video) == last["video"]["sha256"]
    assert any(
        "moon pulls the sea" in " ".join(p.read_text().split())
        for p in (home / "runs" / "tides" / "video").glob("subtitles-*.srt")
    )


def test_regen_bad_input_is_one_line_and_changes_nothing(home: Path):
    made = run_cli(
        home,
        "make",
        "why ice floats",
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--preview",
        "--run-id",
        "ice",
    )
    assert made.code == 0, made.stderr
    before = run_cli(home, "show", "ice", "--json").json()
    count = len(before["scenes"])
    for args, needle in (
        (
            ["--scene", str(count + 1)],
            f"--scene: scene {count + 1} does not exist; run ice has scenes 1 to {count}",
        ),
        (["--scene", "0"], "--scene: scene 0 does not exist"),
        (["--scene", "1", "--narration", "   "], "--narration: the new narration is empty"),
    ):
        result = run_cli(home, "regen", "ice", *args)
        assert result.code == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], result.stderr
    after = run_cli(home, "show", "ice", "--json").json()
    assert (after["video"], after["scenes"], after["status"]) == (before["video"], before["scenes"], "done")
