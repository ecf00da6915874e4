"""The issue's caption-sync measure on the real pipeline: a video made by `reelforge make`, its final audio
aligned with pocketsphinx, and every caption cue's start checked against its first spoken word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tools.speech.alignment import align_words

pytestmark = pytest.mark.slow

# Facts with the things captions used to split or mistime: dates, numbers with units, names.
FACTS = """# The Golden Gate Bridge

The Golden Gate Bridge opened to traffic on 28 May 1937, after four years of work.

Its main span is 1,280 metres long, and the towers rise 227 metres above the water.

Joseph Strauss led the project, with Leon Moisseiff and Charles Ellis doing much of the design.

On opening day about 200,000 people walked across the bridge before any car was allowed on it.

The bridge is painted International Orange, a colour chosen to stand out in the fog.
"""

_SRT_TIME = re.compile(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)")


def _srt(path: Path) -> list[tuple[float, str]]:
    """(start seconds, text) of every cue in an SRT file."""
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        h, m, s, ms = (int(part) for part in _SRT_TIME.match(lines[1]).groups()[:4])  # type: ignore[union-attr]
        cues.append((h * 3600 + m * 60 + s + ms / 1000, " ".join(lines[2:])))
    return cues


@pytest.fixture(scope="module", params=["joe", "espeak"])
def made(request, tmp_path_factory):
    """One preview video per voice, from a source full of dates, numbers and names."""
    root = tmp_path_factory.mktemp(f"sync-{request.param}")
    source = root / "bridge.md"
    source.write_text(FACTS, encoding="utf-8")
    home = root / "home"
    result = run_cli(
        home,
        "make",
        "the Golden Gate Bridge",
        "--source",
        str(source),
        "--duration",
        "30",
        "--voice",
        request.param,
        "--preview",
        "--captions",
        "words",
        "--run-id",
        "bridge",
        "--json",
    )
    assert result.code == 0, result.stderr
    shown = run_cli(home, "show", "bridge", "--json").json()
    return request.param, result.json(), shown


def test_every_caption_starts_with_its_first_spoken_word(made):
    voice, summary, shown = made
    narration = []
    for scene in shown["scenes"]:
        clip = json.loads(Path(scene["audio"]["path"]).with_suffix(".json").read_text())
        narration += [sentence["text"] for sentence in clip["sentences"]]
        assert clip["timing"] == "voice", "the offline voices time their own words"
    text = " ".join(narration)
    aligned = align_words(Path(summary["video"]), text, "en")
    assert aligned is not None, "pocketsphinx could not align the video's audio"
    spoken = [word for sentence in aligned for word in sentence["words"]]
    assert [word["text"] for word in spoken] == text.split()

    cues = _srt(Path(shown["video"]["subtitles"]["path"]))
    offsets = []
    at = 0
    for start, cue_text in cues:
        words = cue_text.split()
        assert [w["text"] for w in spoken[at : at + len(words)]] == words, f"cue {cue_text!r} is out of order"
        offsets.append(abs(start - spoken[at]["start_s"]))
        at += len(words)
    assert at == len(spoken), "every spoken word is captioned"
    within = sum(offset <= 0.100 for offset in offsets) / len(offsets)
    worst = max(offsets)
    print(f"{voice}: {len(offsets)} cues, {within:.0%} within 100 ms, worst {worst * 1000:.0f} ms")
    assert within >= 0.90, f"{voice}: only {within:.0%} of cues start within 100 ms of their first word"
    assert worst <= 0.250, f"{voice}: a cue starts {worst * 1000:.0f} ms from its first word"


def test_no_caption_splits_a_date_a_number_or_a_name(made):
    _, _, shown = made
    cues = [text for _, text in _srt(Path(shown["video"]["subtitles"]["path"]))]
    joined = " | ".join(cues)
    groups = (
        "28 May 1937",
        "1,280 metres",
        "227 metres",
        "Joseph Strauss",
        "Leon Moisseiff",
        "Charles Ellis",
    )
    for group in groups:
        if group.split()[0] in joined:
            assert any(group in cue for cue in cues), f"{group!r} is split: {joined}"
