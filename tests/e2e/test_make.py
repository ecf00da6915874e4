"""`reelforge make` end to end: real voices, real ffmpeg and PyAV, the real gallery."""

from __future__ import annotations

import math
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli
from tests.media_checks import measure

pytestmark = pytest.mark.slow

PREVIEW_SIZES = {"9:16": (360, 640), "16:9": (640, 360), "1:1": (360, 360)}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One full-size 1080x1920 run with the Piper voice, shared by the checks below."""
    home = tmp_path_factory.mktemp("full") / "home"
    result = run_cli(
        home, "make", "the history of coffee", "--duration", "12", "--run-id", "coffee", "--json"
    )
    assert result.code == 0, result.stderr
    return home, result.json()


def test_full_size_video_properties(full_run):
    _, summary = full_run
    assert summary["status"] == "done"
    m = measure(Path(summary["video"]))
    assert (m.video_codec, m.pix_fmt, m.width, m.height) == ("h264", "yuv420p", 1080, 1920)
    assert m.fps == pytest.approx(30.0)
    assert m.audio_codec == "aac"
    assert abs(m.duration_s - 12) <= 12 * 0.15
    assert m.mean_volume_db > -35
    assert abs(m.integrated_lufs - (-14)) <= 1.5
    assert m.min_luma > 20, "a sampled frame is black"


def test_json_summary_names_path_tiers_and_aspect(full_run):
    _, summary = full_run
    assert Path(summary["video"]).is_file()
    assert summary["aspect"] == "9:16"
    assert summary["tiers"]["script"].startswith("offline:")
    assert summary["tiers"]["narration"] == "offline:piper:joe"
    assert summary["degraded"] is False


def test_gallery_lists_the_video_and_feed_has_the_enclosure(full_run):
    home, _ = full_run
    gallery = home / "gallery"
    entry = gallery / "coffee"
    for name in ("video.mp4", "thumbnail.jpg", "metadata.json", "script.md"):
        assert (entry / name).is_file(), name
    assert "coffee/video.mp4" in (gallery / "index.html").read_text()
    channel = ET.parse(gallery / "feed.xml").getroot().find("channel")
    enclosures = [item.find("enclosure") for item in channel.findall("item")]
    assert len(enclosures) == 1
    assert enclosures[0].get("type") == "video/mp4"
    assert int(enclosures[0].get("length")) == (entry / "video.mp4").stat().st_size


def test_report_says_the_offline_writer_made_the_script(full_run):
    home, summary = full_run
    report = Path(summary["report"]).read_text()
    assert "offline writer" in report
    assert "Stage timings" in report


def test_runs_and_show(full_run):
    home, _ = full_run
    runs = run_cli(home, "runs", "--json")
    assert runs.code == 0
    assert [(r["run_id"], r["status"]) for r in runs.json()] == [("coffee", "done")]
    shown = run_cli(home, "show", "coffee", "--json").json()
    assert shown["status"] == "done" and shown["next"] == []
    assert shown["node_executions"]["video_production.render_scenes"] == 1
    text = run_cli(home, "show", "coffee")
    assert text.code == 0 and "render_scenes" in text.stdout


def test_resume_of_a_finished_run_is_refused(full_run):
    home, _ = full_run
    result = run_cli(home, "resume", "coffee")
    assert result.code == 2
    assert "already finished" in result.stderr


@pytest.mark.parametrize("aspect", ["9:16", "16:9", "1:1"])
def test_each_aspect_in_preview(home, aspect):
    result = run_cli(
        home,
        "make",
        "how volcanoes work",
        "--aspect",
        aspect,
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--preview",
        "--style",
        "calm",
        "--json",
    )
    assert result.code == 0, result.stderr
    m = measure(Path(result.json()["video"]))
    assert (m.width, m.height) == PREVIEW_SIZES[aspect]
    assert (m.video_codec, m.pix_fmt, m.audio_codec) == ("h264", "yuv420p", "aac")
    assert m.fps == pytest.approx(30.0)
    assert abs(m.duration_s - 10) <= 1.5
    assert m.mean_volume_db > -35
    assert abs(m.integrated_lufs - (-14)) <= 1.5


def _music(path: Path, seconds: float = 4.0, rate: int = 44100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * math.pi * 220 * t) + 0.2 * np.sin(2 * math.pi * 330 * t)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((tone * 32767).astype("<i2").tobytes())
    return path


def test_sources_and_music(home, tmp_path):
    source = tmp_path / "honey.md"
    source.write_text(
        "# Honey\n\nA honey bee colony can hold around 50,000 bees in summer.\n\n"
        "Bees visit about two million flowers to make one pound of honey.\n\n"
        "Honey found in Egyptian tombs was still edible after 3,000 years.\n"
    )
    result = run_cli(
        home,
        "make",
        "honey",
        "--source",
        str(source),
        "--music",
        str(_music(tmp_path / "m.wav")),
        "--duration",
        "30",
        "--voice",
        "espeak",
        "--preview",
        "--run-id",
        "honey",
        "--json",
    )
    assert result.code == 0, result.stderr
    script = (home / "gallery" / "honey" / "script.md").read_text()
    assert "50,000 bees" in script
    assert "honey.md" in script
    m = measure(Path(result.json()["video"]))
    assert abs(m.integrated_lufs - (-14)) <= 1.5
