"""The dashboard's pages and htmx fragments through httpx: every page answers HTML, run data is
escaped, the script gate shows an editor, charts are inline SVG, the assets are vendored, and the login
cookie works."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.api import create_app
from graph.api.web_routes import STATIC, artifacts_of, bar_rows, day_columns
from graph.services import open_services
from graph.settings import load_settings
from tests.conftest import _outside_settings

FAST = {"duration_s": 10, "voice": "espeak", "preview": True}
HOSTILE = "<script>alert(1)</script>"
PAGES = ("/", "/ui/status", "/ui/runs", "/ui/gallery", "/ui/costs", "/login")


class Pages:
    """One app over one home, called from sync tests through httpx's ASGI transport."""

    def __init__(self, home: Path, **settings: Any) -> None:
        self.app = create_app(open_services(load_settings(home=home, **settings)))

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, answered by the app in this thread's event loop."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def settle(self, run_id: str, statuses: tuple[str, ...], timeout_s: float = 180) -> dict[str, Any]:
        """Poll the run until its status is one of `statuses`."""
        deadline = time.monotonic() + timeout_s
        while True:
            view: dict[str, Any] = self.call("GET", f"/runs/{run_id}").json()
            if view["status"] in statuses:
                return view
            assert view["status"] in ("queued", "running"), f"run {run_id}: {view['status']}: {view['error']}"
            assert time.monotonic() < deadline, f"run {run_id} is still {view['status']}"
            time.sleep(0.2)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of one page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        """The attributes of every `tag` whose attributes include `attrs`."""
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pages, dict[str, Any], dict[str, Any]]]:
    """One home with a finished run and one waiting at the script gate (real renders, preview)."""
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if _outside_settings(name)]:
            env.delenv(name)
        env.setenv("REELFORGE_RESEARCH", "off")
        env.setenv("REELFORGE_THIRD_PARTY_FREE", "off")
        pages = Pages(tmp_path_factory.mktemp("web") / "home")
    done = pages.call("POST", "/runs", json={"topic": "how tides work", **FAST}).json()
    waiting = pages.call("POST", "/runs", json={"topic": "tea", "gates": ["script"], **FAST}).json()
    yield pages, pages.settle(done["run_id"], ("done",)), pages.settle(waiting["run_id"], ("waiting",))


@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers_html(made, url):
    pages, _, _ = made
    response = pages.call("GET", url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    Tags(response.text)  # parses


def test_the_pages_load_only_vendored_assets(made):
    pages, _, _ = made
    page = Tags(pages.call("GET", "/").text)
    scripts = [a["src"] for a in page.find("script") if a.get("src")]
    styles = [a["href"] for a in page.find("link", rel="stylesheet")]
    assert scripts == ["/static/htmx.min.js", "/static/app.js"]
    assert styles == ["/static/app.css"]
    for url in [*scripts, *styles]:
        response = pages.call("GET", url)
        assert response.status_code == 200 and response.content
    htmx = (STATIC / "htmx.min.js").read_text()
    assert 'version:"2.0.4"' in htmx
    assert "Zero-Clause BSD" in (STATIC / "htmx.LICENSE").read_text()


def test_dashboard_has_the_form_the_picker_the_runs_and_the_chat(made):
    pages, done, waiting = made
    html = pages.call("GET", "/").text
    page = Tags(html)
    status = page.find("span", **{"data-mode": "OFFLINE"})
    assert status and "mode-offline" in (status[0]["class"] or "")
    assert page.find("div", id="status")[0]["hx-trigger"] == "every 3s"
    names = {a.get("name") for tag in ("input", "select", "textarea") for a in page.find(tag)}
    fields = ("request", "duration_s", "aspect", "voice", "style", "sources", "dry_run", "gates", "preview")
    assert set(fields) <= names
    assert {"provider_text", "provider_image", "provider_speech"} <= names
    # The offline tier costs nothing: FREE; an OpenAI option names its tier and is not set up here.
    offline = re.search(r'data-provider="offline".*?</li>', html, re.S)
    assert offline and "FREE" in offline.group(0) and "offline" in offline.group(0)
    openai = re.search(r'data-provider="openai".*?</li>', html, re.S)
    assert openai and "cloud" in openai.group(0) and "disabled" in openai.group(0)
    assert "set OPENAI_API_KEY" in openai.group(0)
    # Automatic is the default choice: the form sends no provider unless one is picked.
    automatic = page.find("input", name="provider_text", value="")
    assert automatic and "checked" in automatic[0]
    assert page.find("div", id="runs")[0]["hx-trigger"] == "every 3s, refresh"
    for run in (done, waiting):
        assert page.find("li", **{"data-run-id": run["run_id"], "data-status": run["status"]})
    assert page.find("form", id="chat-form") and page.find("input", id="chat-input")


def test_status_fragment_names_the_mode_and_refreshes_itself(made):
    pages, _, _ = made
    page = Tags(pages.call("GET", "/ui/status").text)
    root = page.find("div", id="status")[0]
    assert root["hx-get"] == "/ui/status" and root["hx-swap"] == "outerHTML"
    assert page.find("span", **{"data-mode": "OFFLINE"})


def test_runs_fragment_links_each_run_and_asks_at_the_gate(made):
    pages, done, waiting = made
    html = pages.call("GET", "/ui/runs").text
    page = Tags(html)
    assert page.find("a", href=f"/ui/runs/{done['run_id']}")
    assert "Review the script" in html
    # Settled runs are not followed live.
    assert not page.find("div", **{"data-follow": done["run_id"]})


def test_run_page_at_the_script_gate_is_an_editor(made):
    pages, _, waiting = made
    response = pages.call("GET", f"/ui/runs/{waiting['run_id']}")
    assert response.status_code == 200
    page = Tags(response.text)
    script = waiting["waiting"]["script"]
    embedded = re.search(
        r'<script type="application/json" id="gate-script">(.*?)</script>', response.text, re.S
    )
    assert embedded and json.loads(embedded.group(1)) == script
    assert len(page.find("textarea", **{"data-field": "narration"})) == len(script["scenes"])
    assert page.find("input", **{"data-field": "title", "value": script["title"]})
    assert page.find("button", **{"data-decision": "approve"})
    assert page.find("button", **{"data-decision": "reject"})
    assert page.find("div", **{"data-follow": waiting["run_id"]})


def test_run_page_of_a_finished_run(made):
    pages, done, _ = made
    run_id = done["run_id"]
    html = pages.call("GET", f"/ui/runs/{run_id}").text
    page = Tags(html)
    version = done["video"]["sha256"][:12]
    assert page.find("video", id="player", src=f"/videos/{run_id}?v={version}")
    assert page.find("img", src=f"/videos/{run_id}?part=thumbnail&v={version}")
    scenes = page.find("li", **{"class": "scene"})
    assert [s["data-image-sha"] for s in scenes] == [s["image"]["sha256"] for s in done["scenes"]]
    buttons = page.find("button", **{"data-regen": "2"})
    assert buttons and "disabled" not in buttons[0]
    for scene in page.find("img", loading="lazy"):
        assert pages.call("GET", scene["src"] or "").headers["content-type"] == "image/png"
    artifacts = {a["data-artifact"] for a in page.find("tr") if a.get("data-artifact")}
    assert set(done["report"]["tiers"]) == artifacts
    assert "offline:cards" in html and ">no<" in html
    assert "premium would be" in html
    # Where it was published, with each target's status.
    assert page.find("tr", **{"data-target": "gallery", "data-status": "published"})
    # The player's source serves the video with byte ranges.
    part = pages.call("GET", f"/videos/{run_id}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100


def test_gallery_shows_finished_videos_only(made):
    pages, done, waiting = made
    page = Tags(pages.call("GET", "/ui/gallery").text)
    videos = page.find("video")
    assert [v["src"] for v in videos] == [f"/videos/{done['run_id']}"]
    assert videos[0]["poster"] == f"/videos/{done['run_id']}?part=thumbnail"
    assert not page.find("article", **{"data-run-id": waiting["run_id"]})


def test_costs_page_draws_bars_in_inline_svg(made):
    pages, _, _ = made
    html = pages.call("GET", "/ui/costs?since=30d").text
    page = Tags(html)
    assert len(page.find("svg")) == 2
    offline = page.find("g", **{"data-key": "offline"})
    assert offline
    assert page.find("rect", **{"class": "premium"}) and page.find("rect", **{"class": "cost"})
    assert len(page.find("g")) >= 31  # a column per day of the period, empty days included
    assert "saved" in html and "$0" in html
    # An unknown period falls back to the default instead of failing.
    assert pages.call("GET", "/ui/costs?since=" + HOSTILE).status_code == 200


def test_run_data_is_escaped_everywhere(made):
    pages, _, _ = made
    # A record no door would accept now, as an older version or another tool could have left it.
    runs = pages.app.state.ops.service.services.runs
    job = {"topic": HOSTILE, "duration_s": 10, "aspect": "9:16", "voice": "espeak", "style": "bold"}
    runs.create("hostile-run", "make:hostile-run", HOSTILE, job, status="queued")
    runs.set_status("hostile-run", "failed", error=f"{HOSTILE} <img src=x onerror=alert(2)>")
    for url in ("/", "/ui/runs", "/ui/runs/hostile-run"):
        html = pages.call("GET", url).text
        assert HOSTILE not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    # Refused at the door: the API's error is JSON, never echoed into a page.
    refused = pages.call("POST", "/runs", json={"topic": HOSTILE, **FAST})
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/json"


def test_an_unknown_run_is_a_404_page(made):
    pages, _, _ = made
    response = pages.call("GET", "/ui/runs/no-such-run")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no run called" in response.text


def test_login_trades_the_token_for_an_httponly_cookie(tmp_path):
    token = "s3cret-token_for.tests~1"
    pages = Pages(tmp_path / "home", api_token=token)
    assert pages.call("GET", "/").status_code == 401
    assert pages.call("GET", "/ui/status").status_code == 401
    form = pages.call("GET", "/login")
    assert form.status_code == 200 and 'name="token"' in form.text
    assert "/static/" not in form.text  # the sheet is inline: /static needs the token
    wrong = pages.call("POST", "/login", data={"token": "guess"})
    assert wrong.status_code == 401 and "not this server" in wrong.text
    assert "set-cookie" not in wrong.headers
    right = pages.call("POST", "/login", data={"token": token})
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"reelforge_token={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    cookies = {"Cookie": f"reelforge_token={token}"}
    page = pages.call("GET", "/", headers=cookies)
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert pages.call("GET", "/static/app.js", headers=cookies).status_code == 200
    out = pages.call("POST", "/logout", headers=cookies)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert 'reelforge_token=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]


def test_login_without_a_token_says_none_is_needed(tmp_path):
    pages = Pages(tmp_path / "home")
    assert "needs no token" in pages.call("GET", "/login").text
    response = pages.call("POST", "/login", data={"token": "anything"})
    assert response.status_code == 303 and "set-cookie" not in response.headers


def test_each_artifact_says_whether_it_was_degraded():
    view = {
        "report": {"tiers": {"script": "offline:offline-template", "images.02": "offline:cards"}},
        "degraded": [
            {"artifact": "image.02", "tier": "offline", "provider": "offline", "reason": "comfyui refused"},
            {"artifact": "speech.03", "tier": "offline", "provider": "offline", "reason": "coqui timed out"},
        ],
    }
    rows = {row["name"]: row for row in artifacts_of(view)}
    assert rows["script"]["degraded"] is False
    assert rows["images.02"] == {
        "name": "images.02",
        "tier": "offline:cards",
        "degraded": True,
        "reason": "comfyui refused",
    }
    # A degradation the report does not list yet still shows.
    assert rows["narration.03"]["degraded"] and rows["narration.03"]["reason"] == "coqui timed out"


def test_bars_scale_to_the_largest_value_and_days_include_empty_ones():
    rows = [
        {"key": "2026-12-01", "calls": 2, "cost_usd": 0.5, "premium_usd": 1.0},
        {"key": "2026-12-03", "calls": 1, "cost_usd": 0.0, "premium_usd": 0.25},
    ]
    bars = bar_rows(rows, width=100)
    assert [(b["cost_w"], b["premium_w"]) for b in bars] == [(50.0, 100.0), (0.0, 25.0)]
    columns = day_columns(rows, "2026-12-01T00:00:00+00:00", height=100)
    assert [c["day"] for c in columns[:3]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert columns[1]["premium_h"] == 0 and columns[0]["premium_h"] == 100.0
    assert bar_rows([], width=100) == []
