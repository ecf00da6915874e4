"""A request's `prefer` (the job's provider per capability) puts that provider first: after the --visuals
rules (cards stay cards), skipped when it is not set up, and passed over like any other when it is down.
Real ComfyUI, Pollinations, Openverse, Ollama and Coqui protocol servers answer."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import replace

import pytest
from PIL import Image
from pydantic import BaseModel

from graph.router_config import load_router_settings
from state import ImageRequest, SpeechRequest, TextRequest
from tests.servers.comfyui import ComfyUIServer
from tests.servers.coqui import CoquiServer
from tests.servers.harness import refused_url
from tests.servers.ollama import OllamaServer
from tests.servers.open_media import OpenverseServer
from tests.servers.pollinations import PollinationsImageServer
from tools.models.failures import AllProvidersFailed
from tools.models.service import ModelRouter
from tools.storage.sqlite_ledger import UsageLedger


class Answer(BaseModel):
    word: str


def _card() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), "navy").save(out, "PNG")
    return out.getvalue()


def _tone() -> bytes:
    rate = 22_050
    samples = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate // 2)]
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def image(prefer: str | None, visuals: str = "auto") -> ImageRequest:
    return ImageRequest("a glacier", 64, 96, _card, query="glaciers", visuals=visuals, prefer=prefer)


@pytest.fixture(scope="module")
def servers():
    with (
        ComfyUIServer() as comfy,
        PollinationsImageServer() as pollinations,
        OpenverseServer() as openverse,
        OllamaServer(default_reply='{"word": "self"}') as ollama,
        CoquiServer() as coqui,
    ):
        yield {
            "comfyui": comfy,
            "pollinations_image": pollinations,
            "openverse": openverse,
            "ollama": ollama,
            "coqui": coqui,
        }


@pytest.fixture
def models(servers, tmp_path):
    def build(down: tuple[str, ...] = ()) -> ModelRouter:
        urls = {name: refused_url() if name in down else server.url for name, server in servers.items()}
        tables = "\n".join(
            f'[providers.{name}]\nurl = "{url}"\ntimeout_s = 2.0\nretries = 0\n' for name, url in urls.items()
        )
        config = tmp_path / "reelforge.toml"
        config.write_text(
            f"""
[router]
order = {{ text = ["ollama", "offline"], image = ["comfyui", "pollinations_image", "openverse", "offline"], \
speech = ["coqui", "offline"] }}

{tables}"""
        )
        settings = load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config)})
        return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-prefer")

    return build


@pytest.mark.parametrize(
    ("prefer", "provider", "tier"),
    [
        (None, "comfyui", "self-hosted"),
        ("comfyui", "comfyui", "self-hosted"),
        ("pollinations_image", "pollinations_image", "free"),
        ("openverse", "openverse", "free"),
        ("offline", "offline", "offline"),
    ],
)
def test_the_preferred_image_provider_goes_first(models, prefer, provider, tier):
    router = models()
    routed = router.image(image(prefer), "make_scene")
    assert (routed.provider, routed.tier) == (provider, tier)
    # What the job asked for is not a degradation, and nothing was tried before it.
    assert routed.degraded is None
    assert [(r.provider, r.ok) for r in router.usage()] == [(provider, True)]


@pytest.mark.parametrize(
    ("visuals", "prefer", "provider"),
    [
        # The photo sources go first for photos, but the job's own choice goes before them.
        ("photos", None, "openverse"),
        ("photos", "comfyui", "comfyui"),
        ("photos", "pollinations_image", "pollinations_image"),
        # Cards keep to the cards: a preferred image model must not draw over them.
        ("cards", "comfyui", "offline"),
        ("cards", "offline", "offline"),
    ],
)
def test_a_preference_comes_after_the_visuals_rules(models, visuals, prefer, provider):
    routed = models().image(image(prefer, visuals), "make_scene")
    assert routed.provider == provider
    assert routed.degraded is None


def test_text_and_speech_take_a_preference_too(models):
    router = models()
    text = TextRequest("system", "say a word", Answer, offline=lambda: {"word": "offline"})
    assert router.text(text, "write_script").answer.data == {"word": "self"}
    routed = router.text(replace(text, prefer="offline"), "write_script")
    assert (routed.provider, routed.answer.data, routed.degraded) == ("offline", {"word": "offline"}, None)
    speech = router.speech(SpeechRequest("Hello there.", _tone, prefer="offline"), "make_scene")
    assert (speech.provider, speech.degraded) == ("offline", None)
    assert [r.provider for r in router.usage()] == ["ollama", "offline", "offline"]


def test_a_preferred_provider_that_is_not_set_up_is_skipped(models):
    router = models()
    # Pexels needs a key nobody gave: the call goes on in the configured order, with no failure recorded.
    routed = router.image(image("pexels"), "make_scene")
    assert (routed.provider, routed.degraded, routed.failures) == ("comfyui", None, [])
    assert [(r.provider, r.ok) for r in router.usage()] == [("comfyui", True)]


def test_a_preferred_provider_that_is_down_hands_the_call_on(models):
    router = models(down=("pollinations_image",))
    routed = router.image(image("pollinations_image"), "make_scene")
    assert routed.provider == "comfyui"
    assert Image.open(io.BytesIO(routed.answer.data)).size == (64, 96)
    assert [(r.provider, r.ok, r.error_class) for r in router.usage()] == [
        ("pollinations_image", False, "refused"),
        ("comfyui", True, ""),
    ]
    # A better tier answered than the one that failed: not degraded, as before the picker existed.
    assert routed.degraded is None


def test_the_degraded_marking_is_unchanged_when_a_preferred_self_hosted_provider_is_down(models):
    router = models(down=("coqui",))
    routed = router.speech(SpeechRequest("Hello there.", _tone, prefer="coqui"), "make_scene")
    assert routed.provider == "offline"
    assert routed.degraded is not None and "coqui (self-hosted): refused" in routed.degraded


def test_with_every_provider_down_the_error_names_them_and_not_the_missing_preference(models):
    router = models(down=("ollama",))
    router.settings.order["text"] = ["ollama"]
    text = TextRequest("system", "say a word", Answer, offline=lambda: {}, prefer="groq")
    with pytest.raises(AllProvidersFailed) as caught:
        router.text(text, "write_script")
    assert "ollama (self-hosted): refused" in str(caught.value)
    assert "groq" not in str(caught.value)
