"""The OpenAI-compatible providers against the OpenAI protocol fake, through the real SDKs."""

from __future__ import annotations

import io
import time
import traceback
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import BaseModel

from tests.servers.harness import refused_url
from tests.servers.openai import OpenAIServer, wav_bytes
from tools.models.base import ImageRequest, MediaAnswer, SpeechRequest, TextAnswer, TextRequest
from tools.models.failures import ProviderError
from tools.models.openai_api import OpenAIImage, OpenAISpeech, OpenAIText, image_size

CAPABILITIES = ("text", "image", "speech")
SCENE_JSON = '{"title": "Make coffee", "seconds": 5}'


class Scene(BaseModel):
    """The schema the text tests ask for."""

    title: str
    seconds: int


@pytest.fixture(scope="module")
def running() -> Iterator[OpenAIServer]:
    with OpenAIServer() as fake:  # one per module: stopping a server takes half a second
        yield fake


@pytest.fixture
def server(running: OpenAIServer) -> OpenAIServer:
    running.reset()
    running.default_reply = SCENE_JSON
    return running


def provider(
    capability: str,
    base_url: str,
    *,
    api_key: str | None = None,
    timeout_s: float = 2.0,
    http: httpx.Client | None = None,
) -> Any:
    """One provider of `capability` pointed at `base_url` (which ends in /v1, by convention)."""
    if capability == "text":
        return OpenAIText("local-llm", "self-hosted", base_url, api_key, "test-chat", timeout_s, http=http)
    if capability == "image":
        return OpenAIImage("openai-image", "cloud", base_url, api_key, "test-image", timeout_s, http=http)
    return OpenAISpeech("openai-tts", "cloud", base_url, api_key, "test-speech", "nova", timeout_s, http=http)


def request(capability: str, width: int = 1080, height: int = 1920) -> Any:
    """A small request for `capability`."""
    if capability == "text":
        return TextRequest("You write scenes.", "One scene about coffee.", Scene, offline=lambda: {})
    if capability == "image":
        return ImageRequest("a cup of coffee", width, height, offline=lambda: b"")
    return SpeechRequest("Hello there.", offline=lambda: b"")


@pytest.fixture(params=["own client", "injected httpx.Client"])
def http(request: pytest.FixtureRequest) -> Iterator[httpx.Client | None]:
    if request.param == "own client":
        yield None
    else:
        with httpx.Client() as client:
            yield client


def test_text_validates_counts_tokens_and_sends_the_schema(
    server: OpenAIServer, http: httpx.Client | None
) -> None:
    server.api_key = "sk-right"
    answer = provider("text", server.url + "/v1", api_key="sk-right", http=http).call(request("text"))
    assert answer == TextAnswer(
        {"title": "Make coffee", "seconds": 5}, "test-chat", tokens_in=11, tokens_out=5
    )
    body = server.requests[-1].json()
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["temperature"] == 0.4 and body["max_completion_tokens"] == 4096
    (sent,) = server.response_formats
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == Scene.model_json_schema()


def test_text_repairs_once(server: OpenAIServer) -> None:
    server.replies = ['{"title": "Make coffee"}', SCENE_JSON]
    answer = provider("text", server.url + "/v1").call(request("text"))
    assert answer.data == {"title": "Make coffee", "seconds": 5}
    assert (answer.tokens_in, answer.tokens_out) == (22, 10)  # summed over both attempts
    messages = server.requests[-1].json()["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == '{"title": "Make coffee"}' and "seconds" in messages[3]["content"]


def test_text_gives_up_after_one_repair(server: OpenAIServer) -> None:
    server.replies = ["not json at all", '{"title": 3}']
    with pytest.raises(ProviderError) as caught:
        provider("text", server.url + "/v1").call(request("text"))
    assert caught.value.kind == "invalid_output" and len(server.requests) == 2


@pytest.mark.parametrize(
    ("finish_reason", "kind"), [("length", "invalid_output"), ("content_filter", "bad_request")]
)
def test_text_cut_off_or_filtered(server: OpenAIServer, finish_reason: str, kind: str) -> None:
    server.finish_reason = finish_reason
    with pytest.raises(ProviderError) as caught:
        provider("text", server.url + "/v1").call(request("text"))
    assert caught.value.kind == kind and len(server.requests) == 1  # no repair: the same limit would bite


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        (1080, 1920, "1024x1792"),
        (1920, 1080, "1792x1024"),
        (512, 512, "1024x1024"),
        (1000, 1100, "1024x1024"),
    ],
)
def test_image_returns_the_served_png(
    server: OpenAIServer, http: httpx.Client | None, width: int, height: int, size: str
) -> None:
    server.image_color = (10, 120, 230)
    answer = provider("image", server.url + "/v1", http=http).call(request("image", width, height))
    assert answer == MediaAnswer(server.served_images[-1], "test-image", "image/png")
    body = server.requests[-1].json()
    assert (body["size"], body["n"], body["response_format"]) == (size, 1, "b64_json")
    assert image_size(width, height) == size
    image = Image.open(io.BytesIO(answer.data))
    assert image.size == tuple(map(int, size.split("x"))) and image.getpixel((5, 5)) == (10, 120, 230)


def test_image_fetches_a_url_answer(server: OpenAIServer, http: httpx.Client | None) -> None:
    server.image_urls = True
    answer = provider("image", server.url + "/v1", api_key="sk-x", http=http).call(request("image"))
    assert answer.data == server.served_images[-1] and answer.content_type == "image/png"
    assert "authorization" not in {k.lower() for k in server.requests[-1].headers}  # the key stays home


def test_speech_returns_wav(server: OpenAIServer, http: httpx.Client | None) -> None:
    answer = provider("speech", server.url + "/v1", http=http).call(request("speech"))
    assert answer.content_type == "audio/wav" and answer.model == "test-speech"
    with wave.open(io.BytesIO(answer.data)) as audio:
        assert (audio.getnchannels(), audio.getframerate()) == (1, 24000)
        assert audio.getnframes() == int(24000 * 0.05 * len("Hello there."))
    body = server.requests[-1].json()
    assert (body["voice"], body["input"], body["response_format"]) == ("nova", "Hello there.", "wav")


# The kind each fault maps to, per capability. Speech has no JSON body: a JSON or HTML answer is "not
# audio" (bad_content), and a truncated WAV comes back as the bytes sent (None here) for the router's
# decode check to catch; streamed WAVs carry placeholder sizes, so the header cannot be trusted to tell.
EXPECTED = {
    "500": ("server_error",) * 3,
    "429": ("rate_limited",) * 3,
    "malformed": ("malformed", "malformed", "bad_content"),
    "empty": ("empty", "empty", "empty"),
    "truncated": ("malformed", "malformed", None),
    "wrong_type": ("malformed", "malformed", "bad_content"),
}


@pytest.mark.parametrize("capability", CAPABILITIES)
@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_faults_map_to_kinds(server: OpenAIServer, capability: str, fault: str) -> None:
    expected = EXPECTED[fault][CAPABILITIES.index(capability)]
    server.fail(fault)
    if expected is None:  # the first half of the WAV, as served
        answer = provider(capability, server.url + "/v1").call(request(capability))
        full = wav_bytes(request("speech").text)
        assert answer.data == full[: len(full) // 2]
        return
    with pytest.raises(ProviderError) as caught:
        provider(capability, server.url + "/v1").call(request(capability))
    assert caught.value.kind == expected and "\n" not in caught.value.detail
    if fault == "429":
        assert caught.value.retry_after_s == 1


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_refused(capability: str) -> None:
    with pytest.raises(ProviderError) as caught:
        provider(capability, refused_url() + "/v1").call(request(capability))
    assert caught.value.kind == "refused"


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_hang_is_abandoned_at_the_timeout(server: OpenAIServer, capability: str) -> None:
    server.fail("hang")
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        provider(capability, server.url + "/v1", timeout_s=0.5).call(request(capability))
    assert caught.value.kind == "timeout" and 0.4 < time.monotonic() - started < 1.5


@pytest.mark.parametrize("capability", CAPABILITIES)
@pytest.mark.parametrize("key", ["sk-wrong-8f3kQ9zT", None])
def test_wrong_key_is_auth_and_never_shown(server: OpenAIServer, capability: str, key: str | None) -> None:
    server.api_key = "sk-right-1234"
    with pytest.raises(ProviderError) as caught:
        provider(capability, server.url + "/v1", api_key=key).call(request(capability))
    assert caught.value.kind == "auth"
    shown = "".join(traceback.format_exception(caught.value)) + caught.value.detail + repr(caught.value)
    for secret in filter(None, (key, "sk-right-1234")):
        assert secret not in shown and secret[:8] not in shown


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_check_healthy(server: OpenAIServer, http: httpx.Client | None, capability: str) -> None:
    server.api_key = "sk-right"
    health = provider(capability, server.url + "/v1", api_key="sk-right", http=http).check()
    assert health.healthy and health.error == "" and health.latency_ms > 0
    assert health.models == ["test-chat", "test-image", "test-speech"]


def test_check_model_missing(server: OpenAIServer) -> None:
    server.models = ["other-model"]
    health = provider("text", server.url + "/v1").check()
    assert not health.healthy and health.models == ["other-model"] and "test-chat" in health.error


def test_check_wrong_key(server: OpenAIServer) -> None:
    server.api_key = "sk-right"
    health = provider("speech", server.url + "/v1", api_key="sk-wrong").check()
    assert not health.healthy and health.error == "the key was refused (401)"


@pytest.mark.parametrize("fault", ["refused", "hang", "malformed", "500"])
def test_check_never_raises(server: OpenAIServer, fault: str) -> None:
    url = refused_url() if fault == "refused" else server.url
    if fault != "refused":
        server.fail(fault)
    health = provider("image", url + "/v1", timeout_s=0.5).check()
    assert not health.healthy and health.error and "\n" not in health.error


def test_providers_name_their_endpoint_and_model(server: OpenAIServer) -> None:
    for capability, tag in zip(CAPABILITIES, ("chat", "image", "speech"), strict=True):
        made = provider(capability, server.url + "/v1", api_key="sk-hidden")
        assert (made.capability, made.endpoint, made.model) == (capability, server.url + "/v1", f"test-{tag}")
        assert "sk-hidden" not in repr(made)
