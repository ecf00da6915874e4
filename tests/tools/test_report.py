"""Tests for the run report: report.json, report.md and the rich console summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tools.errors import BadInput
from tools.report import (
    OFFLINE_NO_FACTS_LINE,
    OFFLINE_OUTLINE_LINE,
    OFFLINE_SOURCED_LINE,
    render_report_console,
    render_report_markdown,
    write_report,
)


def sample(run_dir: Path, **overrides: Any) -> dict[str, Any]:
    """A finished offline run, as Monitoring would describe it."""
    video = run_dir / "final.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"x" * 2048)
    data: dict[str, Any] = {
        "run_id": "make:coffee-3f2a",
        "status": "done",
        "topic": "the history of coffee",
        "job": {
            "duration_s": 45,
            "aspect": "9:16",
            "lang": "en",
            "voice": "joe",
            "style": "bold",
            "preview": False,
        },
        "title": "Coffee | from bean to cup",
        "writer": "offline:template",
        "video": {
            "path": str(video),
            "duration_s": 45.3,
            "width": 1080,
            "height": 1920,
            "fps": 30,
            "mean_volume_db": -21.4,
            "loudness_lufs": -16.2,
        },
        "thumbnail": str(run_dir / "thumb.jpg"),
        "subtitles": str(run_dir / "subs.srt"),
        "publications": [
            {
                "target": "gallery",
                "id": "make:coffee-3f2a",
                "url": "file:///g/index.html#make:coffee-3f2a",
                "published_at": "2026-11-22T08:30:00+00:00",
            }
        ],
        "stage_timings": {"plan": 0.5, "data": 1.5, "content": 3.0, "video": 15.0},
        "node_timings": {"compose_video": 12.0, "write_script": 2.5},
        "tiers": {"script": "offline:template", "narration": "offline:piper:joe", "images": "offline:cards"},
        "degraded": False,
        "degraded_reasons": [],
        "warnings": ["music file not found; rendered without music"],
        "citations": [{"source": "https://example.org/coffee", "title": "Coffee history"}],
        "result_path": str(video),
    }
    data.update(overrides)
    return data


def test_write_report_writes_both_files_and_json_round_trips(tmp_path: Path) -> None:
    data = sample(tmp_path)
    md_path, json_path = write_report(tmp_path, data)
    assert md_path == tmp_path / "report.md" and md_path.is_file()
    assert json_path == tmp_path / "report.json" and json_path.is_file()
    assert json.loads(json_path.read_text()) == data
    text = json_path.read_text()
    # Keys keep the order the run recorded them in, so stage timings read in pipeline order.
    assert text.startswith('{\n  "run_id"')
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_markdown_has_timings_table_with_total_and_result(tmp_path: Path) -> None:
    md_path, _ = write_report(tmp_path, sample(tmp_path))
    md = md_path.read_text()
    assert md.startswith("# Coffee \\| from bean to cup — DONE\n")
    assert "## Result" in md and "45.3 s (asked for 45 s)" in md and "2.0 KB" in md
    assert "-16.2 LUFS" in md and "1080×1920 at 30 fps" in md
    lines = md.splitlines()
    start = lines.index("## Stage timings")
    table = lines[start + 2 : start + 9]
    assert table[0] == "| Stage | Seconds | Share |"
    assert "| video | 15.00 | 75.0% |" in table
    assert table[-1] == "| **Total** | **20.00** | **100%** |"
    assert "## Node timings" in md


def test_markdown_who_made_what_and_offline_writer_with_sources(tmp_path: Path) -> None:
    md = write_report(tmp_path, sample(tmp_path))[0].read_text()
    assert "## Who made what" in md
    assert "| narration | offline | piper:joe |" in md
    assert OFFLINE_SOURCED_LINE in md
    assert "made by the offline tier" in md
    assert "## Warnings" in md and "music file not found" in md
    assert "## Sources" in md and "1. Coffee history — <https://example.org/coffee>" in md
    assert "## Publications" in md and "<file:///g/index.html#make:coffee-3f2a>" in md


def test_markdown_offline_writer_without_sources_says_outline(tmp_path: Path) -> None:
    md = render_report_markdown(sample(tmp_path, citations=[]))
    assert OFFLINE_OUTLINE_LINE in md
    assert OFFLINE_SOURCED_LINE not in md


@pytest.mark.parametrize(
    "given",
    [
        {"sources_given": True, "job": {"sources": ["/notes/menu.txt"]}},
        # An older report has no sources_given: the job's list of sources says it.
        {"job": {"sources": ["/notes/menu.txt"]}},
    ],
)
def test_sources_that_gave_no_facts_are_not_called_missing(tmp_path: Path, given: dict[str, Any]) -> None:
    """Defect 9.8a: sources were given but yielded no facts, and the report said none were given."""
    data = sample(tmp_path, citations=[], **given)
    md = render_report_markdown(data)
    assert OFFLINE_NO_FACTS_LINE in md
    assert "no sources were given" not in md
    console = Console(record=True, width=200)
    console.print(render_report_console(data))
    text = console.export_text()
    assert "your sources gave no usable facts" in text and "no sources were given" not in text


def test_no_sources_still_says_none_were_given(tmp_path: Path) -> None:
    data = sample(tmp_path, citations=[], sources_given=False, job={"sources": []})
    assert OFFLINE_OUTLINE_LINE in render_report_markdown(data)


def test_markdown_no_offline_line_for_model_writer(tmp_path: Path) -> None:
    data = sample(tmp_path, writer="ollama:llama3.2", tiers={"script": "self-hosted:ollama:llama3.2"})
    md = render_report_markdown(data)
    assert "offline writer" not in md
    assert "| script | self-hosted | ollama:llama3.2 |" in md


def test_degraded_is_stated(tmp_path: Path) -> None:
    md = render_report_markdown(sample(tmp_path, degraded=True, degraded_reasons=["ComfyUI refused"]))
    assert "> **Degraded:** ComfyUI refused" in md


def test_minimal_report_renders(tmp_path: Path) -> None:
    md_path, json_path = write_report(tmp_path, {"run_id": "r1", "status": "failed"})
    assert md_path.read_text().startswith("# r1 — FAILED")
    assert "No video was produced." in md_path.read_text()
    Console(record=True, width=100).print(render_report_console({"run_id": "r1", "status": "failed"}))


def test_missing_run_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="run_id"):
        write_report(tmp_path, {"status": "done"})


def test_console_render_mentions_result_path(tmp_path: Path) -> None:
    data = sample(tmp_path, title="[bold]not markup[/bold]")
    console = Console(record=True, width=100)
    console.print(render_report_console(data))
    text = console.export_text()
    # A long temporary path may fold across lines inside the panel; compare without the layout.
    flat = "".join(ch for ch in text if ch not in " │\n")
    assert str(tmp_path / "final.mp4").replace(" ", "") in flat
    assert "[bold]not markup[/bold]" in text
    assert "Stage timings" in text and "total" in text and "20.00" in text
    assert "piper:joe" in text and "offline writer" in text


def test_each_publication_says_its_status_and_a_failure_its_reason(tmp_path: Path) -> None:
    publications = [
        {"target": "gallery", "id": "r", "url": "file:///g/index.html#r", "published_at": "t"},
        {"target": "youtube", "id": "v1", "url": "https://www.youtube.com/watch?v=v1", "published_at": "t",
         "status": "private"},
        {"target": "wordpress", "id": "", "url": "", "published_at": "", "status": "failed",
         "error": "WordPress refused the application password (401)"},
    ]  # fmt: skip
    markdown = render_report_markdown(sample(tmp_path, publications=publications))
    assert "- **youtube:** <https://www.youtube.com/watch?v=v1> (id `v1`, private, published t)" in markdown
    assert "- **wordpress:** failed: WordPress refused the application password (401)" in markdown
    console = Console(width=100, record=True)
    console.print(render_report_console(sample(tmp_path, publications=publications)))
    text = console.export_text()
    assert "failed: WordPress refused the application password (401)" in text
