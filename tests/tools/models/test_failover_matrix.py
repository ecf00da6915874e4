"""Every capability x every fault: the call lands on the next provider, and the ledger and run say so.

Real client libraries talk to protocol servers on localhost; only the faults are injected.
"""

from __future__ import annotations

import io
import time
import wave

import pytest
from PIL import Image
from pydantic import BaseModel

from graph.router_config import load_router_settings
from state import ImageRequest, SpeechRequest, TextRequest
from tests.servers.comfyui import ComfyUIServer
from tests.servers.coqui import CoquiServer
from tests.servers.harness import refused_url
from tests.servers.ollama import OllamaServer
from tests.servers.openai import OpenAIServer
from tools.models.failures import AllProvidersFailed
from tools.models.service import ModelRouter
from tools.storage.sqlite_ledger import UsageLedger

KEY = "sk-matrix-test-key-0123456789"
TIMEOUT_S = 1.0


class Answer(BaseModel):
    word: str


def _never() -> bytes:
    raise AssertionError("the offline tier must not be reached in this test")


TEXT = TextRequest("system", "say a word", Answer, offline=lambda: {"word": "offline"})
IMAGE = ImageRequest("a red square", 64, 96, offline=_never)
SPEECH = SpeechRequest("Hello there, this is a test.", offline=_never)


@pytest.fixture(scope="module")
def servers():
    ollama = OllamaServer(default_reply='{"word": "self"}')
    comfy = ComfyUIServer()
    coqui = CoquiServer()
    cloud = OpenAIServer()
    for server in (ollama, comfy, coqui, cloud):
        server.hang_s = TIMEOUT_S * 3
        server.start()
    cloud.api_key = KEY
    cloud.default_reply = '{"word": "cloud"}'
    yield {"text": ollama, "image": comfy, "speech": coqui, "cloud": cloud}
    for server in (ollama, comfy, coqui, cloud):
        server.stop()


@pytest.fixture
def models(servers, tmp_path):
    def build(
        primary_url: dict[str, str] | None = None, order: dict[str, list[str]] | None = None
    ) -> ModelRouter:
        for server in servers.values():
            server.heal()
        cloud = servers["cloud"]
        cloud.api_key = KEY
        urls = {"text": servers["text"].url, "image": servers["image"].url, "speech": servers["speech"].url}
        urls.update(primary_url or {})
        order = order or {
            "text": ["ollama", "openai", "offline"],
            "image": ["comfyui", "openai", "offline"],
            "speech": ["coqui", "openai", "offline"],
        }
        config = tmp_path / "reelforge.toml"
        config.write_text(
            f"""
[router]
order = {{ text = {order["text"]}, image = {order["image"]}, speech = {order["speech"]} }}

[providers.ollama]
url = "{urls["text"]}"
timeout_s = {TIMEOUT_S}
retries = 0

[providers.comfyui]
url = "{urls["image"]}"
timeout_s = {TIMEOUT_S}
retries = 0

[providers.coqui]
url = "{urls["speech"]}"
timeout_s = {TIMEOUT_S}
retries = 0

[providers.openai]
url = "{cloud.url}/v1"
text_model = "test-chat"
image_model = "test-image"
speech_model = "test-speech"
retries = 0
""".replace("'", '"')
        )
        settings = load_router_settings(
            tmp_path, environ={"REELFORGE_CONFIG": str(config), "OPENAI_API_KEY": KEY}
        )
        return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-matrix")

    return build


CALLS = {
    "text": lambda models: models.text(TEXT, "write_script"),
    "image": lambda models: models.image(IMAGE, "make_scene"),
    "speech": lambda models: models.speech(SPEECH, "make_scene"),
}
# fault → the failure class each capability's primary reports for it.
EXPECTED = {
    "refused": {"text": "refused", "image": "refused", "speech": "refused"},
    "hang": {"text": "timeout", "image": "timeout", "speech": "timeout"},
    "500": {"text": "server_error", "image": "server_error", "speech": "server_error"},
    "429": {"text": "rate_limited", "image": "rate_limited", "speech": "rate_limited"},
    "malformed": {"text": "malformed", "image": "malformed", "speech": "bad_content"},
    "empty": {"text": "empty", "image": "empty", "speech": "empty"},
    "truncated": {"text": "malformed", "image": "bad_content", "speech": "bad_content"},
    "wrong_type": {"text": "malformed", "image": "bad_content", "speech": "bad_content"},
}
PRIMARY = {"text": "ollama", "image": "comfyui", "speech": "coqui"}
# ComfyUI answers JSON until /view; a bad image is only a bad image there.
FAULT_PATH = {("image", "truncated"): "/view", ("image", "wrong_type"): "/view"}


@pytest.mark.parametrize("capability", ["text", "image", "speech"])
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_a_failing_self_hosted_provider_hands_the_call_to_the_cloud(servers, models, capability, fault):
    if fault == "refused":
        router = models({capability: refused_url()})
    else:
        router = models()
        servers[capability].fail(fault, times=None, path=FAULT_PATH.get((capability, fault), ""))
    started = time.monotonic()
    routed = CALLS[capability](router)
    assert time.monotonic() - started < TIMEOUT_S + 3
    assert (routed.provider, routed.tier) == ("openai", "cloud")
    records = router.usage()
    assert [(r.provider, r.ok) for r in records] == [(PRIMARY[capability], False), ("openai", True)]
    assert records[0].error_class == EXPECTED[fault][capability]
    assert routed.degraded is not None and PRIMARY[capability] in routed.degraded
    if capability == "text":
        assert routed.answer.data == {"word": "cloud"}
    elif capability == "image":
        assert Image.open(io.BytesIO(routed.answer.data)).size == (64, 96)
    else:
        with wave.open(io.BytesIO(routed.answer.data)) as clip:
            assert clip.getnchannels() == 1 and clip.getnframes() > 0


def test_failover_within_a_tier_is_not_degraded(servers, models):
    router = models(
        order={
            "text": ["ollama", "openai_compatible", "offline"],
            "image": ["offline"],
            "speech": ["offline"],
        }
    )
    # Point the OpenAI-compatible self-hosted slot at the same fake OpenAI server.
    router.settings.providers["openai_compatible"] = router.settings.providers["openai"].model_copy(
        update={"explicit": True, "enabled": True}
    )
    servers["text"].fail("500", times=None)
    routed = router.text(TEXT, "write_script")
    assert (routed.provider, routed.tier, routed.degraded) == ("openai_compatible", "self-hosted", None)


def test_the_offline_tier_answers_when_every_server_fails_and_the_run_is_degraded(servers, models):
    router = models()
    servers["text"].fail("500", times=None)
    servers["cloud"].fail("500", times=None)
    routed = router.text(TEXT, "write_script")
    assert (routed.provider, routed.answer.data) == ("offline", {"word": "offline"})
    assert "ollama (self-hosted): server_error" in routed.degraded
    assert "openai (cloud): server_error" in routed.degraded


def test_with_no_offline_tier_one_error_names_every_provider_and_why(servers, models):
    router = models(order={"text": ["ollama", "openai"], "image": ["offline"], "speech": ["offline"]})
    servers["text"].fail("500", times=None)
    servers["cloud"].fail("429", times=None)
    with pytest.raises(AllProvidersFailed) as caught:
        router.text(TEXT, "write_script")
    message = str(caught.value)
    assert "ollama (self-hosted): server_error" in message
    assert "openai (cloud): rate_limited" in message
    assert "no deployments available" not in message
    assert KEY not in message


def test_a_retry_honours_retry_after_and_then_succeeds(servers, models, tmp_path):
    router = models()
    router.settings.providers["ollama"] = router.settings.providers["ollama"].model_copy(
        update={"retries": 1}
    )
    servers["text"].fail("429", times=1)
    started = time.monotonic()
    routed = router.text(TEXT, "write_script")
    waited = time.monotonic() - started
    assert routed.provider == "ollama" and routed.degraded is None
    assert 0.9 <= waited < 3, "Retry-After: 1 was honoured"
    assert [(r.provider, r.ok, r.error_class) for r in router.usage()] == [
        ("ollama", False, "rate_limited"),
        ("ollama", True, ""),
    ]


def test_three_failures_cool_a_provider_down_and_later_calls_skip_it_at_once(servers, models):
    router = models()
    servers["text"].fail("hang", times=None)
    for _ in range(3):
        assert router.text(TEXT, "write_script").provider == "openai"
    started = time.perf_counter()
    routed = router.text(TEXT, "write_script")
    assert routed.provider == "openai"
    assert time.perf_counter() - started < 0.5, "a cooled-down provider costs nothing"
    assert "cooling_down" in routed.degraded
    failed = [r for r in router.usage() if not r.ok]
    assert len(failed) == 3, "the skipped call wrote no failure"


def test_every_call_is_ledgered_with_tokens_cost_and_premium(servers, models):
    router = models()
    router.text(TEXT, "write_script")
    router.image(IMAGE, "make_scene")
    router.speech(SPEECH, "make_scene")
    text, image, speech = router.usage()
    assert (text.provider, text.tokens_in, text.tokens_out) == ("ollama", text.tokens_in, text.tokens_out)
    assert text.tokens_in > 0 and text.tokens_out > 0
    assert image.images == 1 and speech.audio_s > 0.5
    for record in (text, image, speech):
        assert record.ok and record.tier == "self-hosted" and record.run_id == "run-matrix"
        assert record.cost_usd == pytest.approx(record.wall_ms / 3_600_000 * 0.20)
        assert record.premium_usd > record.cost_usd
