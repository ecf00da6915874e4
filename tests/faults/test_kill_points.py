"""SIGKILL at every node boundary, with SQLite and with Redis checkpoints: every resume completes, no
finished node runs again, the gallery post is never repeated, and the video verifies.

The job takes every path through the graph: a text model that writes too much (so the script is revised),
both gates (approved by the chain), and a regenerated scene once the run is done.
"""

from __future__ import annotations

import json

import pytest

from graph.orchestrator import compile_orchestrator
from tests.faults.kill_chain import PLATFORM, kill_at_every_boundary
from tests.servers.ollama import OllamaServer
from tests.servers.wordpress import WordPressServer

pytestmark = pytest.mark.slow

GOOD = {
    "title": "How glaciers move",
    "hook": "Glaciers flow like slow rivers of ice.",
    "scenes": [
        {
            "narration": "Glaciers flow like slow rivers of ice.",
            "on_screen_text": "Rivers of ice",
            "visual": "a glacier",
        },
        {
            "narration": "Their weight makes the ice bend.",
            "on_screen_text": "Ice that bends",
            "visual": "ice layers",
        },
        {
            "narration": "Meltwater helps them slide. Follow for more.",
            "on_screen_text": "Sliding",
            "visual": "water",
        },
    ],
    "call_to_action": "Follow for more.",
    "description": "How glaciers move, in three short scenes.",
    "tags": ["glaciers", "ice"],
}
TOO_LONG = {
    **GOOD,
    "scenes": [
        {**scene, "narration": " ".join([scene["narration"]] * 6)}
        for scene in GOOD["scenes"]  # type: ignore[index]
    ],
}
MAKE = (
    "make", "how glaciers move", "--duration", "10", "--voice", "espeak", "--preview", "--json",
    "--review", "--approve-publish", "--target", PLATFORM,
)  # fmt: skip
REGEN = ("regen", "--scene", "2", "--json")


class WritesTooMuch(OllamaServer):
    """Ollama whose model writes a script far too long for the video, and a good one when asked to revise."""

    def _chat(self, request, fault):
        messages = request.json().get("messages", [])
        revising = any("Revise this video script" in (m.get("content") or "") for m in messages)
        with self._replies_lock:
            self.replies = [json.dumps(GOOD if revising else TOO_LONG)]
        return super()._chat(request, fault)


def every_node() -> set[str]:
    """Every node of the orchestrator and its subgraphs."""
    nodes = compile_orchestrator(None).get_graph(xray=True).nodes
    return {name.split(":")[-1] for name in nodes if not name.split(":")[-1].startswith("__")}


def _check(seen: dict, wordpress: WordPressServer) -> None:
    killed_at = {point.split(":", 1)[1] for point in seen["points"] if not point.startswith("posted:")}
    assert killed_at == every_node(), "every node is killed at"
    for node in every_node():
        assert f"start:{node}" in seen["points"] and f"end:{node}" in seen["points"]
    assert seen["restarted"] == [], "no finished node ran again"
    # The post was made once, before the kill that followed it, and never again.
    assert seen["post_before"] is not None and seen["post_after"] == seen["post_before"]
    assert sorted(p["target"] for p in seen["publications"]) == ["gallery", PLATFORM]
    # WordPress holds one post (and its video and poster) for the reference run and one for the killed one.
    assert (wordpress.posts_created, wordpress.uploads) == (2, 4)
    video = seen["video"]
    assert (video.video_codec, video.audio_codec, video.fps) == ("h264", "aac", 30.0)
    assert abs(video.duration_s - 10) <= 10 * 0.15
    print(f"{len(seen['points'])} kill points; replays {seen['replays']}")


@pytest.fixture
def ollama():
    with WritesTooMuch() as server:
        yield server


@pytest.fixture
def wordpress():
    with WordPressServer() as server:
        yield server


def _platform(wordpress: WordPressServer) -> dict[str, str]:
    return {
        "WORDPRESS_URL": wordpress.url,
        "WORDPRESS_USER": wordpress.user,
        "WORDPRESS_APP_PASSWORD": wordpress.app_password,
    }


def test_kill_at_every_boundary_with_sqlite(home, ollama, wordpress):
    env = {"OLLAMA_HOST": ollama.url, **_platform(wordpress)}
    _check(kill_at_every_boundary(home, env, MAKE, REGEN), wordpress)


def test_kill_at_every_boundary_with_redis(home, ollama, redis_url, wordpress):
    env = {
        "OLLAMA_HOST": ollama.url,
        "REDIS_URL": redis_url,
        "REELFORGE_LOCK_TTL_S": "1",
        **_platform(wordpress),
    }
    _check(kill_at_every_boundary(home, env, MAKE, REGEN), wordpress)
