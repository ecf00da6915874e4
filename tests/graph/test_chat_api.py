"""POST /chat through httpx's ASGI transport, each stream read to the end: the chat items in the order the
dashboard reads them, an approval asked inline and answered in the chat, and GET /chat/{conversation}."""

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

ITEM_TYPES = {"conversation", "reply", "run", "event", "approval", "done"}


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    """The chat items of an SSE response: one JSON object per `data:` line, each block ending blank."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    items = []
    for block in response.text.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if lines:
            assert len(lines) == 1 and lines[0].startswith("data: "), block
            items.append(json.loads(lines[0][len("data: ") :]))
    return items


def _contract(items: list[dict[str, Any]]) -> None:
    assert items[0]["type"] == "conversation" and items[-1] == {"type": "done"}
    assert all(item["type"] in ITEM_TYPES for item in items)
    assert [item["type"] for item in items].count("done") == 1


@pytest.fixture
def app(home: Path) -> Any:
    application = create_app(open_services(load_settings(home=home)))
    yield application
    application.state.ops.launcher.close(wait=True)


async def _post(client: httpx.AsyncClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    return _items(await client.post("/chat", json=body, timeout=120))


@pytest.mark.slow
def test_a_video_made_in_the_chat_waits_for_its_script_and_goes_on_when_approved(app: Any) -> None:
    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            line = "make a 10 second video about tea with the espeak voice as a preview"
            made = await _post(client, {"message": line, "review": True})
            _contract(made)
            conversation = made[0]["conversation"]
            assert conversation.startswith("c-")
            run = next(item for item in made if item["type"] == "run")
            run_id = run["run_id"]
            assert run["status"] == "queued"
            events = [item["event"] for item in made if item["type"] == "event"]
            assert events[0]["kind"] == "queued" and events[-1]["kind"] == "waiting"
            approval = next(item for item in made if item["type"] == "approval")
            assert approval["run_id"] == run_id and approval["gate"] == "script"
            scenes = approval["script"]["scenes"]
            assert scenes and "approve / reject" in approval["text"]
            assert {"type": "run", "run_id": run_id, "status": "waiting"} in made
            order = [item["type"] for item in made]
            assert order.index("run") < order.index("event") < order.index("approval")

            edited = await _post(
                client,
                {"message": "change scene 2 to say Tea is older than paper.", "conversation": conversation},
            )
            _contract(edited)
            again = next(item for item in edited if item["type"] == "approval")
            assert again["script"]["scenes"][1]["narration"] == "Tea is older than paper."

            approved = await _post(client, {"message": "approve", "conversation": conversation})
            _contract(approved)
            after = [item["event"] for item in approved if item["type"] == "event"]
            # Only what happened after the answer: the events go on from where the first stream ended.
            assert after[0]["seq"] > events[-1]["seq"] and after[-1]["kind"] == "done"
            assert {"type": "run", "run_id": run_id, "status": "done"} in approved
            shown = await client.get(f"/runs/{run_id}")
            assert shown.json()["approvals"][0]["edited"] is True

            history = await client.get(f"/chat/{conversation}")
            assert history.status_code == 200
            body = history.json()
            assert body["thread_id"] == f"chat:{conversation}:1" and body["last_run"] == run_id
            assert body["review"] is True and body["pending"] is None
            assert [m["text"] for m in body["messages"] if m["role"] == "user"] == [
                line,
                "change scene 2 to say Tea is older than paper.",
                "approve",
            ]

    asyncio.run(go())


def test_chat_answers_without_a_run_and_refuses_bad_bodies(app: Any) -> None:
    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            costs = await _post(client, {"message": "what did this week cost?", "conversation": "web"})
            _contract(costs)
            assert costs[0] == {"type": "conversation", "conversation": "web"}
            assert [item["type"] for item in costs] == ["conversation", "reply", "done"]
            assert costs[1]["text"].startswith("Since ") and "$0.00 for 0 model calls" in costs[1]["text"]

            spanish = await _post(
                client, {"message": "make a video about bees in Spanish", "conversation": "web"}
            )
            assert spanish[1]["text"] == "I can't make that video: unknown language 'es'; choose one of en"

            unknown = await _post(client, {"message": "banana", "conversation": "web"})
            assert unknown[1]["text"].startswith("I did not understand 'banana'. I can: make a video")

            missing = await client.get("/chat/nobody-here")
            assert missing.status_code == 404
            assert missing.json() == {
                "error": "no conversation called 'nobody-here'; start one with POST /chat"
            }
            for body in (
                {},
                {"message": ""},
                {"message": "hi", "conversation": "../etc"},
                {"message": "x", "extra": 1},
            ):
                refused = await client.post("/chat", json=body)
                assert refused.status_code == 422 and "error" in refused.json()

    asyncio.run(go())
