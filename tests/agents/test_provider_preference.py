"""A job's `providers` reach the router from ContentGeneration: the preferred text, image and speech providers
are asked first, and when they are down every artifact is still made by the next one in the order.
Real ComfyUI, Pollinations, Ollama and Coqui protocol servers stand behind the router."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from PIL import Image

from agents import build_content_generation_graph
from graph.router_config import load_router_settings
from state import Context, JobRequest
from tests.servers.comfyui import ComfyUIServer
from tests.servers.harness import refused_url
from tests.servers.pollinations import PollinationsImageServer
from tools.media.ffmpeg import find_ffmpeg
from tools.models.service import ModelRouter
from tools.speech import VoiceShelf
from tools.storage.sqlite_ledger import UsageLedger


@pytest.fixture(scope="module")
def servers():
    with ComfyUIServer() as comfy, PollinationsImageServer() as pollinations:
        yield comfy, pollinations


def _context(tmp_path: Path, urls: dict[str, str]) -> Context:
    tables = "\n".join(
        f'[providers.{name}]\nurl = "{url}"\ntimeout_s = 2.0\nretries = 0\n' for name, url in urls.items()
    )
    config = tmp_path / "reelforge.toml"
    config.write_text(
        f"""
[router]
order = {{ text = ["ollama", "offline"], image = ["comfyui", "pollinations_image", "offline"], \
speech = ["coqui", "offline"] }}

{tables}"""
    )
    settings = load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config)})
    return Context(
        run_id="prefer",
        run_dir=tmp_path / "run",
        home=tmp_path,
        voices=VoiceShelf(),
        ffmpeg=find_ffmpeg(),
        models=ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "prefer"),
    )


def _make_scenes(tmp_path: Path, urls: dict[str, str], providers: dict[str, str]) -> tuple[dict, Context]:
    job = JobRequest(
        topic="how bees make honey", duration_s=10, voice="espeak", preview=True, providers=providers
    ).to_job()
    context = _context(tmp_path, urls)
    app = build_content_generation_graph().compile(checkpointer=InMemorySaver())
    result = app.invoke({"job": job, "facts": []}, {"configurable": {"thread_id": "p"}}, context=context)
    return result, context


def test_preferred_providers_that_are_down_still_leave_every_artifact_made(servers, tmp_path):
    comfy, _ = servers
    down = refused_url()
    urls = {"ollama": down, "comfyui": comfy.url, "pollinations_image": down, "coqui": down}
    providers = {"text": "ollama", "image": "pollinations_image", "speech": "coqui"}
    result, context = _make_scenes(tmp_path, urls, providers)

    assert result["script"]["scenes"]
    assert len(result["scenes"]) == len(result["script"]["scenes"])
    for scene in result["scenes"]:
        # The preferred image source is down: the next in the order, ComfyUI, drew every picture.
        assert (scene["image"]["tier"], scene["image"]["provider"]) == ("self-hosted", "comfyui")
        assert Image.open(scene["image"]["path"]).size == (360, 640)
        # Coqui is down: the offline voice spoke every line.
        assert scene["audio"]["tier"] == "offline" and scene["audio"]["duration_s"] > 0.3
    records = context.models.usage()
    # The preference was honoured: each capability's first call went to the provider the job named.
    first = {}
    for record in records:
        first.setdefault(record.capability, (record.provider, record.ok, record.error_class))
    assert first == {
        "text": ("ollama", False, "refused"),
        "image": ("pollinations_image", False, "refused"),
        "speech": ("coqui", False, "refused"),
    }
    # Degradation is as it always was: a lower tier than the one that failed is marked, a higher one not.
    degraded = {item["capability"] for item in result["degraded"]}
    assert "image" not in degraded and {"script", "speech"} <= degraded


def test_a_preferred_provider_that_answers_makes_the_pictures(servers, tmp_path):
    comfy, pollinations = servers
    urls = {"comfyui": comfy.url, "pollinations_image": pollinations.url}
    result, context = _make_scenes(tmp_path, urls, {"image": "pollinations_image"})
    assert {scene["image"]["provider"] for scene in result["scenes"]} == {"pollinations_image"}
    assert not any(record.provider == "comfyui" for record in context.models.usage())
