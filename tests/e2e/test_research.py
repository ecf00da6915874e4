"""Research with no keys: the topic looked up on a MediaWiki site, its facts in the script, the page cited;
and with no network, an outline that says so in its first line."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli
from tests.servers.harness import refused_url
from tests.servers.mediawiki import GLACIER, MediaWikiServer
from tests.servers.open_media import CommonsServer, OpenverseServer

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


def test_no_keys_no_model_real_facts_and_real_pictures_with_credits(home):
    with MediaWikiServer() as wiki, OpenverseServer() as openverse, CommonsServer() as commons:
        made = run_cli(
            home,
            *MAKE,
            "--duration",
            "30",
            "--json",
            "--run-id",
            "photos",
            WIKIPEDIA_URL=wiki.url,
            OPENVERSE_URL=openverse.url,
            COMMONS_URL=commons.url,
        )
        page_url, served = f"{wiki.url}/wiki/Glacier", openverse.url
    assert made.code == 0, made.stderr
    # The first run in a home that may use the free tier says once what it sends where.
    notes = [line for line in made.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "third-party" in notes[0] and "third_party_free" in notes[0], made.stderr
    entry = home / "gallery" / "photos"
    metadata = json.loads((entry / "metadata.json").read_text())
    script = (entry / "script.md").read_text()
    assert len([sentence for sentence in _page_sentences() if sentence in script]) >= 3
    assert page_url in metadata["description"]
    report = json.loads((home / "runs" / "photos" / "report.json").read_text())
    images = {key: tier for key, tier in report["tiers"].items() if key.startswith("images")}
    assert images and set(images.values()) == {"free:openverse"}, report["tiers"]
    # Every scene shows its own served photograph, credited, under a licence that allows reuse.
    credits = metadata["credits"]
    assert len(credits) == len(images) and len({c["source"] for c in credits}) == len(credits)
    assert all(c["source"].startswith(served) and c["author"] for c in credits)
    assert "Pictures:" in metadata["description"] and "## Pictures" in script
    scenes = sorted((home / "runs" / "photos" / "scenes").glob("scene-*.png"))
    colourful = [
        np.asarray(Image.open(path).convert("RGB"), dtype=np.float32).std(axis=(0, 1)).mean()
        for path in scenes
    ]
    assert min(colourful) > 20, "photographs, not flat cards"
