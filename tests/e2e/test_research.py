"""Research with no keys: the topic looked up on a MediaWiki site, its facts in the script, the page cited;
and with no network, an outline that says so in its first line."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_cli
from tests.servers.harness import refused_url
from tests.servers.mediawiki import GLACIER, MediaWikiServer

pytestmark = pytest.mark.slow

MAKE = ("make", "how glaciers move", "--voice", "espeak", "--preview")


def _page_sentences() -> set[str]:
    return {sentence.strip() for sentence in re.split(r"(?<=\.)\s+", GLACIER) if sentence.strip()}


def test_a_researched_script_states_the_pages_facts_and_cites_it(home):
    with MediaWikiServer() as wiki:
        made = run_cli(home, *MAKE, "--duration", "30", "--json", "--run-id", "wiki", WIKIPEDIA_URL=wiki.url)
        page_url = f"{wiki.url}/wiki/Glacier"
    assert made.code == 0, made.stderr
    entry = home / "gallery" / "wiki"
    metadata = json.loads((entry / "metadata.json").read_text())
    script = (entry / "script.md").read_text()
    stated = [sentence for sentence in _page_sentences() if sentence in script]
    assert len(stated) >= 3, stated
    assert {"source": page_url, "title": "Glacier"} in metadata["citations"]
    assert page_url in metadata["description"] and page_url in script
    report = json.loads((home / "runs" / "wiki" / "report.json").read_text())
    assert report["tiers"]["research"] == "free:wikipedia"
    assert not any("outline" in warning for warning in report["warnings"])


def test_no_research_flag_keeps_to_the_sources(home):
    with MediaWikiServer() as wiki:
        made = run_cli(
            home,
            *MAKE,
            "--duration",
            "10",
            "--json",
            "--no-research",
            "--run-id",
            "off",
            WIKIPEDIA_URL=wiki.url,
        )
        assert made.code == 0, made.stderr
        assert wiki.requests == []


def test_with_no_network_the_first_line_says_why_it_is_an_outline(home):
    made = run_cli(home, *MAKE, "--duration", "10", "--run-id", "offline", WIKIPEDIA_URL=refused_url())
    assert made.code == 0, made.stderr
    lines = [line for line in made.stderr.splitlines() if line.strip() and "━" not in line]
    # The run's name and how to resume it, then at once why the script will be an outline.
    assert lines[1].startswith("warning: research skipped (Wikipedia at "), lines[:3]
    said = " ".join(lines[1:4])
    assert "so the script is an outline" in said and "--source FILE" in said
    assert (home / "gallery" / "offline" / "video.mp4").is_file()
    description = json.loads((home / "gallery" / "offline" / "metadata.json").read_text())["description"]
    assert "--source" not in description and "Ollama" not in description, "no operator notes in public"
