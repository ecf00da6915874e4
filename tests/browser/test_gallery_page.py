"""The gallery page in a real browser: Chromium loads index.html over HTTP and plays every video."""

from __future__ import annotations

import functools
import http.server
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.chromium import CHROMIUM_ARGS, ensure_chromium
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    """A gallery holding two real videos, 9:16 and 16:9."""
    home = tmp_path_factory.mktemp("browser") / "home"
    for run_id, aspect in (("tall", "9:16"), ("wide", "16:9")):
        result = run_cli(
            home,
            "make",
            "how tides work",
            "--run-id",
            run_id,
            "--aspect",
            aspect,
            "--duration",
            "10",
            "--voice",
            "espeak",
            "--preview",
            "--json",
        )
        assert result.code == 0, result.stderr
    return home / "gallery"


@pytest.fixture(scope="module")
def base_url(gallery: Path) -> Iterator[str]:
    """Serve the gallery folder on a free loopback port."""
    handler = functools.partial(QuietHandler, directory=str(gallery))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


def test_every_video_loads_and_plays_in_chromium(gallery, base_url, tmp_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=ensure_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base_url}/index.html")
            assert page.locator("article video").count() == 2
            page.wait_for_function(
                "[...document.querySelectorAll('video')].every(v => v.readyState >= 1)", timeout=20_000
            )
            videos = page.evaluate(
                "[...document.querySelectorAll('video')].map(v => ({duration: v.duration, w: v.videoWidth,"
                " h: v.videoHeight, error: v.error && v.error.code,"
                " track: v.textTracks.length ? v.textTracks[0].mode : null}))"
            )
            assert sorted((v["w"], v["h"]) for v in videos) == [(360, 640), (640, 360)]
            for video in videos:
                assert video["error"] is None
                assert abs(video["duration"] - 10) <= 1.5
                # Captions are burned in, so the subtitle track must not draw a second copy on top.
                assert video["track"] != "showing"
            page.evaluate("document.querySelector('video').play()")
            page.wait_for_function("document.querySelector('video').currentTime > 0.5", timeout=10_000)
            posters = page.evaluate(
                "Promise.all([...document.querySelectorAll('video')]"
                ".map(v => fetch(v.poster).then(r => r.status)))"
            )
            assert posters == [200, 200]
            feed_href = page.get_attribute("a[href$='feed.xml']", "href")
            page.screenshot(path=str(tmp_path / "gallery.png"))
        finally:
            browser.close()
    assert feed_href is not None
    assert ET.parse(gallery / "feed.xml").getroot().tag == "rss"
