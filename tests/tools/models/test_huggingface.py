"""The Hugging Face providers against a fake Inference API, through the real `InferenceClient`.

Every URL (inference endpoint and hub) points at the fake server, so nothing reaches the internet.
"""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from typing import Any

import pytest
from huggingface_hub import constants
from PIL import Image
from pydantic import BaseModel

from tests.servers.harness import refused_url
from tests.servers.huggingface import CHAT_MODEL, IMAGE_MODEL, SPEECH_MODEL, TOKEN, HFServer
from tools.models.base import ImageRequest, SpeechRequest, TextRequest
from tools.models.failures import ProviderError
from tools.models.huggingface import DEFAULT_ENDPOINT, HFImage, HFSpeech, HFText

ProviderClass = type[HFText] | type[HFImage] | type[HFSpeech]
MODELS: dict[ProviderClass, str] = {HFText: CHAT_MODEL, HFImage: IMAGE_MODEL, HFSpeech: SPEECH_MODEL}
CLASSES = [HFText, HFImage, HFSpeech]
WRONG_TOKEN = "hf_wrongTokenThatMustNeverLeak42"


class Plan(BaseModel):
    title: str
    scenes: int


VALID = '{"title": "Coffee", "scenes": 3}'
# What each fault becomes for (text, image, speech). Text: the client parses the body, so anything but JSON
# is "malformed". Image: the client decodes the body with Pillow, so an empty body cannot be told from
# garbage: "bad_content". Speech: raw bytes; the container is sniffed from its header and a WAV's length
# checked against its RIFF header, so truncated WAV is "bad_content".
FAULT_KINDS: dict[str, tuple[str, str, str]] = {
    "hang": ("timeout", "timeout", "timeout"),
    "500": ("server_error", "server_error", "server_error"),
    "429": ("rate_limited", "rate_limited", "rate_limited"),
    "malformed": ("malformed", "bad_content", "bad_content"),
    "empty": ("empty", "bad_content", "empty"),
    "truncated": ("malformed", "bad_content", "bad_content"),
    "wrong_type": ("malformed", "bad_content", "bad_content"),
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inference sends no telemetry, but a token in the environment must not stand in for a missing one.
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def _running() -> Iterator[HFServer]:
    server = HFServer()
    with server:
        yield server


@pytest.fixture
def server(_running: HFServer) -> HFServer:
    _running.reset()
    return _running


def make(cls: ProviderClass, server: HFServer, **overrides: Any) -> Any:
    """A provider of `cls` pointed at `server` (inference and hub)."""
    settings: dict[str, Any] = {"base_url": server.url, "token": TOKEN, "model": MODELS[cls], "timeout_s": 5}
    settings.update(overrides)
    hub_url = settings.pop("hub_url", server.url)
    return cls(**settings, hub_url=hub_url)


def request_for(cls: ProviderClass) -> Any:
    """A small request of the kind `cls` answers."""
    if cls is HFText:
        return TextRequest("You plan videos.", "Plan a video about coffee.", Plan, lambda: {}, max_tokens=200)
    if cls is HFImage:
        return ImageRequest("a cup of coffee", width=96, height=64, offline=lambda: b"", seed=7)
    return SpeechRequest("Hello there, coffee lovers.", offline=lambda: b"")


def fails(call: Any, *args: Any) -> ProviderError:
    """Run `call` and return the ProviderError it raised; also check the token leaked nowhere."""
    with pytest.raises(ProviderError) as caught:
        call(*args)
    for secret in (TOKEN, WRONG_TOKEN):
        assert secret not in str(caught.value) and secret not in caught.value.detail
    assert "\n" not in caught.value.detail
    return caught.value


def test_default_endpoint_is_the_libraries_hf_inference_router() -> None:
    assert DEFAULT_ENDPOINT == constants.INFERENCE_PROXY_TEMPLATE.format(provider="hf-inference")


@pytest.mark.parametrize("cls", CLASSES)
def test_provider_attributes(cls: ProviderClass) -> None:
    provider = cls("https://example.invalid/hf", TOKEN, MODELS[cls])
    assert (provider.name, provider.tier) == ("huggingface", "cloud")
    assert provider.endpoint == "https://example.invalid/hf"
    assert provider.capability == {HFText: "text", HFImage: "image", HFSpeech: "speech"}[cls]


def test_text_answers_validated_json_and_sends_the_schema(server: HFServer) -> None:
    server.replies.append(VALID)
    answer = make(HFText, server).call(request_for(HFText))

    assert answer.data == {"title": "Coffee", "scenes": 3} and answer.model == CHAT_MODEL
    usage = server.usages[-1]
    assert answer.tokens_in == usage["prompt_tokens"] > 0
    assert answer.tokens_out == usage["completion_tokens"] > 0
    sent = server.requests[-1]
    assert sent.path == f"/models/{CHAT_MODEL}/v1/chat/completions"
    assert sent.json()["model"] == CHAT_MODEL and sent.json()["max_tokens"] == 200
    assert [m["role"] for m in sent.json()["messages"]] == ["system", "user"]
    # The library rewrites an OpenAI json_schema response format into TGI's grammar for hf-inference.
    assert server.response_formats[-1] == {"type": "json_object", "value": Plan.model_json_schema()}


def test_text_repairs_once(server: HFServer) -> None:
    server.replies.extend(["Sure! Here it is.", VALID])
    answer = make(HFText, server).call(request_for(HFText))

    assert answer.data == {"title": "Coffee", "scenes": 3}
    assert answer.tokens_in == sum(u["prompt_tokens"] for u in server.usages)
    assert answer.tokens_out == sum(u["completion_tokens"] for u in server.usages)
    messages = server.requests[-1].json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "Sure! Here it is." and "not JSON" in messages[3]["content"]


def test_text_gives_up_after_one_failed_repair(server: HFServer) -> None:
    server.replies.extend(["not json", '{"title": "Coffee"}'])
    error = fails(make(HFText, server).call, request_for(HFText))

    assert error.kind == "invalid_output" and "scenes" in error.detail
    assert len(server.requests) == 2


def test_image_returns_the_served_png(server: HFServer) -> None:
    server.image_color = (10, 200, 30)
    answer = make(HFImage, server).call(request_for(HFImage))

    assert (answer.model, answer.content_type) == (IMAGE_MODEL, "image/png")
    assert answer.data == server.served_images[-1]
    image = Image.open(io.BytesIO(answer.data))
    assert image.size == (96, 64) and image.convert("RGB").getpixel((5, 5)) == (10, 200, 30)
    sent = server.requests[-1]
    assert sent.path == f"/models/{IMAGE_MODEL}"
    assert sent.json() == {"inputs": "a cup of coffee", "parameters": {"width": 96, "height": 64, "seed": 7}}


def test_speech_returns_wav(server: HFServer) -> None:
    request = request_for(HFSpeech)
    answer = make(HFSpeech, server).call(request)

    assert (answer.model, answer.content_type) == (SPEECH_MODEL, "audio/wav")
    with wave.open(io.BytesIO(answer.data)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds == pytest.approx(0.05 * len(request.text), abs=0.01)
    assert server.requests[-1].path == f"/models/{SPEECH_MODEL}"
    assert server.requests[-1].json()["inputs"] == request.text


@pytest.mark.parametrize("fault", FAULT_KINDS)
@pytest.mark.parametrize("cls", CLASSES)
def test_faults_map_to_kinds(server: HFServer, cls: ProviderClass, fault: str) -> None:
    server.fail(fault)
    provider = make(cls, server, timeout_s=0.5)
    start = time.monotonic()
    error = fails(provider.call, request_for(cls))

    assert error.kind == FAULT_KINDS[fault][CLASSES.index(cls)]
    assert (error.retry_after_s == 1) if fault == "429" else error.retry_after_s is None
    if fault == "hang":
        assert 0.4 < time.monotonic() - start < 1.5


@pytest.mark.parametrize("cls", CLASSES)
def test_refused(cls: ProviderClass) -> None:
    error = fails(cls(refused_url(), TOKEN, MODELS[cls], 0.5).call, request_for(cls))
    assert error.kind == "refused"


@pytest.mark.parametrize("cls", CLASSES)
def test_wrong_token_is_auth_and_never_echoed(server: HFServer, cls: ProviderClass) -> None:
    error = fails(make(cls, server, token=WRONG_TOKEN).call, request_for(cls))
    assert error.kind == "auth" and "401" in error.detail


@pytest.mark.parametrize("cls", CLASSES)
def test_unknown_model_is_bad_request(server: HFServer, cls: ProviderClass) -> None:
    error = fails(make(cls, server, model="nobody/no-such-model").call, request_for(cls))
    assert error.kind == "bad_request" and "404" in error.detail


@pytest.mark.parametrize("cls", CLASSES)
def test_no_token_fails_without_a_request(server: HFServer, cls: ProviderClass) -> None:
    error = fails(make(cls, server, token=None).call, request_for(cls))
    assert (error.kind, error.detail) == ("unavailable", "no HF token; set HF_TOKEN")
    assert server.requests == []


def test_check_accepts_a_valid_token(server: HFServer) -> None:
    health = make(HFSpeech, server).check()
    assert health.healthy and health.models == [SPEECH_MODEL] and health.error == ""
    assert health.latency_ms > 0
    assert server.requests[-1].path == "/api/whoami-v2"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"token": WRONG_TOKEN}, "the HF token was refused (401); check HF_TOKEN"),
        ({"token": None}, "no HF token; set HF_TOKEN"),
        ({"hub_url": refused_url()}, "could not connect"),
    ],
    ids=["wrong-token", "no-token", "refused"],
)
def test_check_reports_problems(server: HFServer, overrides: dict[str, Any], expected: str) -> None:
    health = make(HFText, server, **overrides).check()
    assert not health.healthy and expected in health.error and health.models == []
    assert WRONG_TOKEN not in health.error and TOKEN not in health.error


def test_check_respects_the_timeout(server: HFServer) -> None:
    server.fail("hang", path="/api/whoami-v2")
    start = time.monotonic()
    health = make(HFImage, server, timeout_s=0.5).check()
    assert not health.healthy and "timed out" in health.error
    assert 0.4 < time.monotonic() - start < 1.5
