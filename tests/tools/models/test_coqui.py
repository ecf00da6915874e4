"""CoquiSpeech against the Coqui TTS protocol fake, which speaks real WAV audio with espeak-ng."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from tests.servers.coqui import CoquiServer
from tests.servers.harness import refused_url
from tools.models.base import Provider, SpeechRequest
from tools.models.coqui import CoquiSpeech, speakers_in_index
from tools.models.failures import ProviderError

TEXT = "Grind the beans just before you brew. Then pour slowly."


def speech_request(**overrides: Any) -> SpeechRequest:
    fields: dict[str, Any] = {"text": TEXT, "offline": lambda: b""}
    fields.update(overrides)
    return SpeechRequest(**fields)


@pytest.fixture
def server() -> Iterator[CoquiServer]:
    fake = CoquiServer()
    fake.start()
    yield fake
    fake.stop()


def provider_for(server: CoquiServer | str, **options: Any) -> CoquiSpeech:
    url = server if isinstance(server, str) else server.url
    options.setdefault("timeout_s", 5.0)
    return CoquiSpeech(url, **options)


def failure_of(provider: CoquiSpeech, request: SpeechRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.call(request or speech_request())
    return caught.value


def pcm_of(data: bytes) -> tuple[np.ndarray[Any, np.dtype[np.int16]], int]:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16), wav.getframerate()


def test_is_a_self_hosted_speech_provider(server: CoquiServer) -> None:
    provider: Provider = provider_for(server)
    assert (provider.name, provider.tier, provider.capability) == ("coqui", "self-hosted", "speech")
    assert (provider.model, provider.endpoint) == ("coqui-tts", server.url)
    assert provider_for(server, speaker="p225").model == "p225"


def test_call_returns_real_speech(server: CoquiServer) -> None:
    answer = provider_for(server).call(speech_request())

    assert answer.data == server.served_audio[0]
    assert (answer.model, answer.content_type) == ("coqui-tts", "audio/wav")
    samples, rate = pcm_of(answer.data)
    assert samples.size / rate > 1.5, "two sentences take more than a second and a half"
    assert int(np.abs(samples.astype(np.int32)).max()) > 1000, "the audio is not silent"
    [request] = server.requests
    assert (request.method, request.path) == ("GET", "/api/tts")
    assert request.query == {"text": [TEXT], "language_id": ["en"]}


@pytest.mark.parametrize(
    ("options", "lang", "expected"),
    [
        ({}, "en", {"language_id": ["en"]}),
        ({"speaker": "p225"}, "en", {"speaker_id": ["p225"], "language_id": ["en"]}),
        (
            {"speaker": "Ana Florence", "language": "fr"},
            "en",
            {"speaker_id": ["Ana Florence"], "language_id": ["fr"]},
        ),
        ({}, "", {}),
    ],
)
def test_sends_speaker_and_language_as_query_parameters(
    server: CoquiServer, options: dict[str, str], lang: str, expected: dict[str, list[str]]
) -> None:
    server.speakers = ["p225", "Ana Florence"] if "speaker" in options else []
    provider_for(server, **options).call(speech_request(lang=lang))
    assert server.requests[0].query == {"text": [TEXT], **expected}


def test_hostile_text_arrives_intact(server: CoquiServer) -> None:
    text = 'Tom & Jerry say: 50% off?! #1 = "best" / yes'
    provider_for(server).call(speech_request(text=text))
    assert server.requests[0].query["text"] == [text]


def test_no_text_is_a_bad_request_without_a_call(server: CoquiServer) -> None:
    assert failure_of(provider_for(server), speech_request(text="  ")).kind == "bad_request"
    assert server.requests == []


def test_an_unknown_speaker_is_a_server_error(server: CoquiServer) -> None:
    server.speakers = ["p225"]
    error = failure_of(provider_for(server, speaker="morgan"))
    assert error.kind == "server_error"


def test_refused() -> None:
    assert failure_of(provider_for(refused_url())).kind == "refused"


def test_a_hang_is_abandoned_at_the_timeout(server: CoquiServer) -> None:
    server.fail("hang")
    started = time.monotonic()
    error = failure_of(provider_for(server, timeout_s=0.5))
    assert error.kind == "timeout"
    assert time.monotonic() - started < 1.5


FAULTS = [
    ("500", "server_error"),
    ("429", "rate_limited"),
    ("malformed", "bad_content"),  # a JSON content type where audio belongs
    ("wrong_type", "bad_content"),
    ("empty", "empty"),
]


@pytest.mark.parametrize(("fault", "kind"), FAULTS)
def test_fault_maps_to_kind(server: CoquiServer, fault: str, kind: str) -> None:
    server.fail(fault, path="/api/tts")
    error = failure_of(provider_for(server))
    assert error.kind == kind, error.detail
    assert error.retry_after_s == (1.0 if fault == "429" else None)


def test_truncated_audio_is_returned_as_sent_for_the_router_to_reject(server: CoquiServer) -> None:
    server.fail("truncated", path="/api/tts")
    answer = provider_for(server).call(speech_request())
    assert answer.data == server.served_audio[0]
    with wave.open(io.BytesIO(answer.data)) as wav:
        declared = wav.getnframes() * wav.getsampwidth()
    assert len(answer.data) < declared, "the header promises more audio than arrived"


def test_check_is_healthy_on_the_index_page(server: CoquiServer) -> None:
    health = provider_for(server).check()
    assert health.healthy, health.error
    assert health.models == ["coqui-tts"]
    assert health.latency_ms > 0


def test_check_lists_the_offered_speakers(server: CoquiServer) -> None:
    server.speakers = ["p225", "Ana Florence"]
    health = provider_for(server, speaker="Ana Florence").check()
    assert health.healthy and health.models == ["p225", "Ana Florence"]


def test_check_reports_a_speaker_the_model_does_not_offer(server: CoquiServer) -> None:
    server.speakers = ["p225", "p226"]
    health = provider_for(server, speaker="morgan").check()
    assert not health.healthy
    assert health.error.startswith("speaker 'morgan' is not offered by the Coqui TTS model")
    assert health.models == ["p225", "p226"]


def test_check_reports_refused() -> None:
    url = refused_url()
    health = provider_for(url).check()
    assert not health.healthy
    assert health.error.startswith(f"Coqui TTS at {url}: GET / could not connect")


@pytest.mark.parametrize(("fault", "expected"), [("500", "answered 500"), ("hang", "timed out")])
def test_check_never_raises(server: CoquiServer, fault: str, expected: str) -> None:
    server.fail(fault, path="/")
    health = provider_for(server, timeout_s=0.5).check()
    assert not health.healthy
    assert expected in health.error


def test_speakers_in_index_reads_only_the_speaker_menu() -> None:
    page = (
        '<select id="speaker_id" name=speaker_id><option value="a" SELECTED>a</option>"'
        '<option value="b &amp; c">b</option></select>'
        '<select id="language_id"><option value="en">en</option></select>'
    )
    assert speakers_in_index(page) == ["a", "b & c"]
    assert speakers_in_index("<html><body>no menu</body></html>") == []


def test_uses_an_injected_http_client() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=b"RIFF", headers={"content-type": "audio/wav"})

    client = httpx.Client(transport=httpx.MockTransport(answer))
    answer_ = CoquiSpeech("http://tts:5002/", http=client).call(speech_request(text="hi"))
    assert answer_.data == b"RIFF"
    assert seen == ["http://tts:5002/api/tts?text=hi&language_id=en"]
