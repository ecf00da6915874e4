"""The HTTP API through httpx: every endpoint, a run followed over SSE to the end, a dropped stream resumed
with Last-Event-ID, and the guards (token, body size, path traversal, private URLs)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from graph.api import create_app
from graph.services import open_services
from graph.settings import load_settings

FAST = {"duration_s": 10, "voice": "espeak", "preview": True}


def _app(home: Path, **settings: Any) -> Any:
    return create_app(open_services(load_settings(home=home, **settings)))


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _call(app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with _client(app) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot take signals
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server over the app on a free loopback port, with its own home."""
    home = tmp_path_factory.mktemp("api") / "home"
    port = _free_port()
    config = uvicorn.Config(_app(home), host="127.0.0.1", port=port, log_level="warning")
    running = _Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


def _sse(response: httpx.Response, stop_after: int | None = None) -> list[dict[str, Any]]:
    """The events of an SSE response, checking each `id:` against the event's number."""
    events: list[dict[str, Any]] = []
    last_id = None
    for line in response.iter_lines():
        if line.startswith("id: "):
            last_id = int(line[4:])
        elif line.startswith("data: "):
            event = json.loads(line[6:])
            assert event["seq"] == last_id
            events.append(event)
            if stop_after is not None and len(events) >= stop_after:
                break
    return events


def _follow(base: str, run_id: str, **headers: str) -> list[dict[str, Any]]:
    with httpx.stream("GET", f"{base}/runs/{run_id}/events", headers=headers, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return _sse(response)


# ---- a run through the API, followed live ------------------------------------------------------------


@pytest.mark.slow
def test_a_run_made_followed_approved_and_played_through_the_api(server: str) -> None:
    created = httpx.post(
        f"{server}/runs",
        json={"request": "make a 10 second square video about bees", "gates": ["script"], **FAST},
        timeout=30,
    )
    assert created.status_code == 202, created.text
    record = created.json()
    run_id = record["run_id"]
    assert record["job"]["aspect"] == "1:1" and record["job"]["topic"] == "bees"
    assert record["status"] in ("queued", "running")

    # Read a few events, drop the stream, and resume it: nothing is lost and nothing comes twice.
    with httpx.stream("GET", f"{server}/runs/{run_id}/events", timeout=120) as response:
        first = _sse(response, stop_after=3)
    rest = _follow(server, run_id, **{"Last-Event-ID": str(first[-1]["seq"])})
    events = first + rest
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "queued" and events[-1]["kind"] == "waiting"
    assert events[-1]["data"]["gate"] == "script"

    shown = httpx.get(f"{server}/runs/{run_id}", timeout=30).json()
    assert shown["status"] == "waiting"
    script = shown["waiting"]["script"]
    script["scenes"][0]["narration"] = "Bees talk by dancing."
    edited = {k: script[k] for k in ("title", "hook", "scenes", "call_to_action", "description", "tags")}
    edited["scenes"] = [
        {k: s[k] for k in ("index", "narration", "on_screen_text", "visual", "sources") if k in s}
        for s in script["scenes"]
    ]
    answered = httpx.post(
        f"{server}/runs/{run_id}/approve", json={"decision": "approve", "script": edited}, timeout=30
    )
    assert answered.status_code == 202, answered.text
    after = _follow(server, run_id, **{"Last-Event-ID": str(events[-1]["seq"])})
    assert after[-1]["kind"] == "done", after[-1]

    listed = httpx.get(f"{server}/runs", params={"status": "done"}, timeout=30).json()
    assert run_id in [row["run_id"] for row in listed]
    full = httpx.get(f"{server}/videos/{run_id}", timeout=30)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    ranged = httpx.get(f"{server}/videos/{run_id}", headers={"Range": "bytes=100-199"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == full.content[100:200]
    thumb = httpx.get(f"{server}/videos/{run_id}", params={"part": "thumbnail"}, timeout=30)
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"

    # A second answer is refused: the run is no longer waiting.
    again = httpx.post(f"{server}/runs/{run_id}/approve", json={}, timeout=30)
    assert again.status_code == 400 and "not waiting" in again.json()["error"]

    # Regenerate scene 1: a new video version; a scene that does not exist is a 400.
    missing = httpx.post(f"{server}/runs/{run_id}/scenes/9/regenerate", json={}, timeout=30)
    assert missing.status_code == 400 and "does not exist" in missing.json()["error"]
    redo = httpx.post(f"{server}/runs/{run_id}/scenes/1/regenerate", json={}, timeout=30)
    assert redo.status_code == 202, redo.text
    assert _follow(server, run_id)[-1]["kind"] == "done"
    assert len(httpx.get(f"{server}/runs/{run_id}", timeout=30).json()["videos"]) == 2

    usage = httpx.get(f"{server}/usage", params={"by": "run"}, timeout=30).json()
    assert run_id in [row["key"] for row in usage["rows"]]
    assert httpx.get(f"{server}/providers", timeout=30).json()["mode"] == "OFFLINE"


# ---- errors, each one line of JSON --------------------------------------------------------------------


def test_unknown_runs_are_404_with_a_json_message(home: Path) -> None:
    app = _app(home)
    for method, url in (
        ("GET", "/runs/nope"),
        ("GET", "/runs/nope/events"),
        ("POST", "/runs/nope/resume"),
        ("GET", "/videos/nope"),
        ("GET", "/runs/nope/files/scene-01.png"),
    ):
        response = _call(app, method, url)
        assert response.status_code == 404, (url, response.text)
        assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"topic": ""}, 400, "topic: the topic is empty"),
        ({"topic": "bees", "duration_s": 5}, 400, "duration 5 s is out of range"),
        ({"topic": "bees", "aspect": "4:3"}, 400, "unknown aspect '4:3'"),
        ({"topic": "bees", "colour": "red"}, 422, "colour: Extra inputs are not permitted"),
        ({"request": "make a video about"}, 400, "the topic is empty"),
        ({"topic": "bees", "duration_s": "long"}, 422, "duration_s:"),
    ],
)
def test_bad_jobs_are_refused_before_anything_runs(
    home: Path, body: dict[str, Any], status: int, words: str
) -> None:
    response = _call(_app(home), "POST", "/runs", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert _call(_app(home), "GET", "/runs").json() == []


def test_a_url_source_on_a_private_address_is_refused(home: Path) -> None:
    for url in (
        "http://127.0.0.1:8080/page",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://169.254.169.254/",
    ):
        response = _call(_app(home), "POST", "/runs", json={"topic": "bees", "sources": [url]})
        assert response.status_code == 400, response.text
        assert "points at a private address" in response.json()["error"]
        assert "REELFORGE_ALLOW_PRIVATE_SOURCES" in response.json()["error"]


def test_a_private_url_passes_the_address_check_when_allowed(home: Path) -> None:
    response = _call(
        _app(home, allow_private_sources=True),
        "POST",
        "/runs",
        json={"topic": "bees", "sources": ["http://127.0.0.1:9/page"]},
    )
    assert "private address" not in response.text


def test_files_named_over_the_network_must_be_in_the_sources_folder(home: Path) -> None:
    app = _app(home)
    for field, value in (
        ("sources", ["/etc/passwd"]),
        ("sources", ["../index.sqlite"]),
        ("music", "/etc/hosts"),
    ):
        response = _call(app, "POST", "/runs", json={"topic": "bees", field: value})
        assert response.status_code == 400, response.text
        assert f"this server reads files only from {home / 'sources'}" in response.json()["error"]
    # A name inside the folder is read there; here the file is missing, which the run's checks say.
    (home / "sources").mkdir()
    missing = _call(app, "POST", "/runs", json={"topic": "bees", "sources": ["notes.md"]})
    assert missing.status_code == 400 and str(home / "sources" / "notes.md") in missing.json()["error"]


def test_request_bodies_over_the_limit_are_413(home: Path) -> None:
    response = _call(_app(home), "POST", "/runs", content=b"{" + b" " * 300_000 + b"}")
    assert response.status_code == 413 and "KB" in response.json()["error"]

    async def chunked() -> Any:
        for _ in range(40):
            yield b" " * 10_000

    streamed = _call(_app(home), "POST", "/runs", content=chunked())
    assert streamed.status_code == 413


def test_path_traversal_gets_404(home: Path) -> None:
    (home / "gallery").mkdir(parents=True)
    (home / "gallery" / "index.html").write_text("<p>gallery</p>")
    (home / "secret.txt").write_text("secret")
    run_dir = home / "runs" / "r1"
    run_dir.mkdir(parents=True)
    app = _app(home)
    assert _call(app, "GET", "/gallery/index.html").text == "<p>gallery</p>"
    for url in (
        "/gallery/..%2Fsecret.txt",
        "/gallery/%2E%2E/secret.txt",
        "/gallery/%2Fetc%2Fpasswd",
        "/gallery/.hidden",
        "/runs/r1/files/..%2F..%2Fsecret.txt",
        "/runs/r1/files/%2Fetc%2Fpasswd",
    ):
        response = _call(app, "GET", url)
        assert response.status_code == 404, url
        assert "secret" not in response.text


def test_with_a_token_every_request_needs_it(home: Path) -> None:
    token = "s3cret-token-for-tests"
    app = _app(home, api_token=token)
    refused = _call(app, "GET", "/runs")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert token not in refused.text
    assert _call(app, "GET", "/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert _call(app, "GET", "/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _call(app, "GET", "/runs", headers={"Cookie": f"reelforge_token={token}"}).status_code == 200
    assert _call(app, "GET", "/healthz").status_code == 200
    assert _call(app, "GET", "/openapi.json").status_code == 401
    # A browser opening a page without the cookie is sent to the login form.
    page = _call(app, "GET", "/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert _call(app, "GET", "/login").status_code == 200


def test_no_cors_headers_by_default(home: Path) -> None:
    response = _call(
        _app(home),
        "OPTIONS",
        "/runs",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_costs_with_a_bad_span_or_grouping_are_400(home: Path) -> None:
    app = _app(home)
    assert "cannot group by" in _call(app, "GET", "/usage", params={"by": "moon"}).json()["error"]
    assert _call(app, "GET", "/usage", params={"since": "yesterday"}).status_code == 400
    assert _call(app, "GET", "/usage", params={"since": "12h", "by": "day"}).status_code == 200


def test_the_openapi_schema_documents_every_route_with_examples(home: Path) -> None:
    schema = _call(_app(home), "GET", "/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/events",
        "/runs/{run_id}/resume",
        "/runs/{run_id}/approve",
        "/runs/{run_id}/scenes/{scene}/regenerate",
        "/providers",
        "/usage",
        "/videos/{run_id}",
        "/healthz",
    ):
        assert path in paths, path
        for operation in paths[path].values():
            assert operation.get("description") or operation.get("summary"), path
    assert schema["components"]["schemas"]["RunCreate"]["examples"]


def test_serve_refuses_to_bind_beyond_loopback_without_a_token(home: Path) -> None:
    from tests.conftest import run_cli

    result = run_cli(home, "serve", "--host", "0.0.0.0", timeout=60)
    assert result.code == 2
    assert "refusing to bind 0.0.0.0 without a token" in result.stderr
    assert "REELFORGE_API_TOKEN" in result.stderr
