"""A job's --visuals reorders the image providers: photos and clips put the photo sources first (not an
image model of the free tier such as Pollinations), cards keeps to the offline cards, auto keeps the
configured order. Real ComfyUI, Pollinations and Openverse protocol servers answer."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from graph.router_config import load_router_settings
from state import ImageRequest
from tests.servers.comfyui import ComfyUIServer
from tests.servers.open_media import OpenverseServer
from tests.servers.pollinations import PollinationsImageServer
from tools.models.service import ModelRouter
from tools.storage.sqlite_ledger import UsageLedger


def _card() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), "navy").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def servers():
    with ComfyUIServer() as comfy, PollinationsImageServer() as pollinations, OpenverseServer() as openverse:
        yield comfy, pollinations, openverse


@pytest.fixture
def models(servers, tmp_path):
    comfy, pollinations, openverse = servers
    config = tmp_path / "reelforge.toml"
    config.write_text(
        f"""
[router]
order = {{ image = ["comfyui", "pollinations_image", "openverse", "offline"] }}

[providers.comfyui]
url = "{comfy.url}"
retries = 0

[providers.pollinations_image]
url = "{pollinations.url}"
retries = 0

[providers.openverse]
url = "{openverse.url}"
retries = 0
"""
    )
    settings = load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config)})
    return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-visuals")


@pytest.mark.parametrize(
    ("visuals", "provider", "tier"),
    [
        ("auto", "comfyui", "self-hosted"),
        ("photos", "openverse", "free"),
        ("clips", "openverse", "free"),
        ("cards", "offline", "offline"),
    ],
)
def test_visuals_choose_the_first_provider(models, visuals, provider, tier):
    request = ImageRequest("a glacier", 64, 96, _card, query="glaciers", visuals=visuals)
    routed = models.image(request, "make_scene")
    assert (routed.provider, routed.tier) == (provider, tier)
    # What the job asked for is not a degradation.
    assert routed.degraded is None
