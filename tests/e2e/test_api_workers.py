"""With REDIS_URL set, runs started through the API execute on the Celery workers, and the API's SSE
stream shows them as it shows a local run: from the first event to the last, gates included."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.api import create_app
from graph.services import open_services
from graph.settings import load_settings
from tests.celery_workers import Workers
from tests.conftest import cli_env
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_api_runs_go_to_the_workers_and_stream_the_same_events(tmp_path: Path) -> None:
    server = RedisServer.start()
    home = tmp_path / "home"
    home.mkdir()
    url = server.url_for_db(0)
    workers = Workers(cli_env(home, REDIS_URL=url), tmp_path)
    try:
        workers.start("w1")
        # The API process keeps its own (empty) home: it knows the run only through Redis.
        app = create_app(open_services(load_settings(home=tmp_path / "api-home", redis_url=url)))

        async def go() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=300) as client:
                made = await client.post(
                    "/runs",
                    json={
                        "topic": "how bees dance",
                        "duration_s": 10,
                        "voice": "espeak",
                        "preview": True,
                        "gates": ["script"],
                    },
                )
                assert made.status_code == 202, made.text
                record = made.json()
                assert (record["status"], record["place"]) == ("queued", "queue")
                run_id = record["run_id"]
                waited = _events((await client.get(f"/runs/{run_id}/events")).text)
                assert waited[0]["kind"] == "queued" and waited[-1]["kind"] == "waiting"
                answered = await client.post(f"/runs/{run_id}/approve", json={"decision": "approve"})
                assert answered.status_code == 202 and answered.json()["status"] == "queued"
                last = waited[-1]["seq"]
                rest = _events(
                    (await client.get(f"/runs/{run_id}/events", headers={"Last-Event-ID": str(last)})).text
                )
                assert rest[0]["seq"] == last + 1 and rest[-1]["kind"] == "done", rest[-1]
                kinds = {e["kind"] for e in waited + rest}
                assert {"started", "stage_started", "scene_made", "artifact_made", "done"} <= kinds
                shown = (await client.get(f"/runs/{run_id}")).json()
                assert shown["status"] == "done" and shown["video"]["path"].startswith(str(home))

        asyncio.run(go())
    finally:
        workers.stop()
        server.stop()
