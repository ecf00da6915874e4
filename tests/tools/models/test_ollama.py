"""OllamaText against a fake Ollama server, through the real ollama and langchain-ollama clients."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import ollama
import pytest
from pydantic import BaseModel

from tests.servers.harness import refused_url
from tests.servers.ollama import OllamaServer
from tools.models.base import HealthResult, Provider, TextRequest
from tools.models.failures import ProviderError
from tools.models.ollama import OllamaText, canonical_model
from tools.models.structured import json_schema_for

MODEL = "qwen3:8b"
GOOD = '{"title": "Make coffee", "seconds": 30}'


class Scene(BaseModel):
    """The schema the tests ask for."""

    title: str
    seconds: int


def scene_request(temperature: float = 0.4, max_tokens: int = 4096) -> TextRequest:
    return TextRequest(
        system="You write short video scenes.",
        prompt="One scene about making coffee.",
        schema=Scene,
        offline=lambda: {"title": "offline", "seconds": 1},
        temperature=temperature,
        max_tokens=max_tokens,
    )


@pytest.fixture
def server() -> Iterator[OllamaServer]:
    fake = OllamaServer(pulled_models=[MODEL, "llama3.2:latest"], default_reply=GOOD)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def make() -> Iterator[Callable[..., OllamaText]]:
    """Build providers that are closed after the test, so no pooled socket outlives it."""
    made: list[OllamaText] = []

    def build(url: str, model: str = MODEL, timeout_s: float = 5.0, **kwargs: Any) -> OllamaText:
        made.append(OllamaText(url, model, timeout_s, **kwargs))
        return made[-1]

    yield build
    for provider in made:
        provider.close()


def failure_of(provider: OllamaText, request: TextRequest | None = None) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.call(request or scene_request())
    return caught.value


def test_is_a_self_hosted_text_provider(server: OllamaServer, make: Callable[..., OllamaText]) -> None:
    provider: Provider = make(server.url)
    assert (provider.name, provider.tier, provider.capability) == ("ollama", "self-hosted", "text")
    assert (provider.model, provider.endpoint) == (MODEL, server.url)


def test_call_returns_validated_data_counts_tokens_and_sends_the_schema(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    reply = '{"title": "Grind the beans", "seconds": "12"}'
    server.replies = [reply]
    answer = make(server.url).call(scene_request(temperature=0.2, max_tokens=512))

    assert answer.data == {"title": "Grind the beans", "seconds": 12}
    assert answer.model == MODEL
    assert answer.tokens_in == len("You write short video scenes. One scene about making coffee.".split())
    assert answer.tokens_out == len(reply.split())
    assert server.formats == [json_schema_for(Scene)]
    [chat] = server.chats
    assert chat["model"] == MODEL
    assert chat["stream"] is False
    assert chat["think"] is False
    assert chat["options"] == {"temperature": 0.2, "num_predict": 512}
    assert [(m["role"], m["content"]) for m in chat["messages"]] == [
        ("system", "You write short video scenes."),
        ("user", "One scene about making coffee."),
    ]


def test_a_leading_think_block_is_ignored(server: OllamaServer, make: Callable[..., OllamaText]) -> None:
    server.replies = [f"<think>\nThe user wants coffee.\n</think>\n\n{GOOD}"]
    assert make(server.url).call(scene_request()).data == {"title": "Make coffee", "seconds": 30}


def test_one_repair_attempt_fixes_an_invalid_answer(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    invalid = '{"title": "Make coffee"}'
    server.replies = [invalid, GOOD]
    answer = make(server.url).call(scene_request())

    assert answer.data == {"title": "Make coffee", "seconds": 30}
    first, second = server.chats
    assert answer.tokens_out == len(invalid.split()) + len(GOOD.split())
    words_in = [len(" ".join(m["content"] for m in chat["messages"]).split()) for chat in (first, second)]
    assert answer.tokens_in == sum(words_in)
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"] == invalid
    assert "seconds: Field required" in second["messages"][3]["content"]
    assert second["format"] == first["format"] == json_schema_for(Scene)


def test_two_invalid_answers_are_invalid_output(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    server.replies = ["Sure! Here is your scene.", '{"title": 3}']
    error = failure_of(make(server.url))

    assert error.kind == "invalid_output"
    assert "does not fit the schema" in error.detail
    assert len(server.chats) == 2


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", "server_error"),
        ("429", "rate_limited"),
        ("malformed", "malformed"),
        ("wrong_type", "malformed"),
        ("truncated", "malformed"),
        ("empty", "empty"),
    ],
)
def test_each_fault_is_named_after_one_request(
    server: OllamaServer, fault: str, kind: str, make: Callable[..., OllamaText]
) -> None:
    server.fail(fault, path="/api/chat")
    error = failure_of(make(server.url))

    assert error.kind == kind
    assert "\n" not in error.detail and len(error.detail) < 300
    # Neither ChatOllama nor the ollama client retries, and "empty" gets no repair attempt.
    assert len([r for r in server.requests if r.path == "/api/chat"]) == 1


def test_rate_limited_reads_retry_after(server: OllamaServer, make: Callable[..., OllamaText]) -> None:
    server.fail("429")
    error = failure_of(make(server.url))
    assert (error.kind, error.retry_after_s) == ("rate_limited", 1.0)


def test_a_hung_server_is_abandoned_after_the_timeout(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    server.fail("hang")
    provider = make(server.url, timeout_s=0.5)
    started = time.monotonic()
    error = failure_of(provider)
    elapsed = time.monotonic() - started

    assert error.kind == "timeout"
    assert "0.5 s" in error.detail
    assert 0.4 < elapsed < 1.0


def test_nothing_listening_is_refused(make: Callable[..., OllamaText]) -> None:
    url = refused_url()
    error = failure_of(make(url, timeout_s=1.0))
    assert error.kind == "refused"
    assert url in error.detail and "ollama serve" in error.detail


def test_details_never_show_credentials_in_the_url(make: Callable[..., OllamaText]) -> None:
    url = refused_url().replace("http://", "http://reel:s3cret@")
    error = failure_of(make(url, timeout_s=1.0))
    assert error.kind == "refused"
    assert "s3cret" not in error.detail and "reel:" not in error.detail


def test_a_model_that_is_not_pulled_is_a_bad_request(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    error = failure_of(make(server.url, model="mistral:7b"))
    assert error.kind == "bad_request"
    assert error.detail == "model mistral:7b is not pulled; run 'ollama pull mistral:7b'"


def test_an_untagged_model_means_latest(server: OllamaServer, make: Callable[..., OllamaText]) -> None:
    assert make(server.url, model="llama3.2").call(scene_request()).data["seconds"] == 30


def test_an_injected_transport_carries_every_request(make: Callable[..., OllamaText]) -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/api/tags":
            return httpx.Response(200, json={"models": [{"name": MODEL, "model": MODEL}]})
        reply = {"model": MODEL, "message": {"role": "assistant", "content": GOOD}, "done": True}
        return httpx.Response(200, json={**reply, "prompt_eval_count": 7, "eval_count": 5})

    provider = make("http://ollama.invalid:11434", transport=httpx.MockTransport(handle))
    answer = provider.call(scene_request())
    health = provider.check()

    assert (answer.tokens_in, answer.tokens_out) == (7, 5)
    assert health.healthy
    assert seen == ["POST /api/chat", "GET /api/tags"]


@pytest.mark.parametrize(
    ("status", "body", "kind", "said"),
    [
        (400, b'{"error": "invalid format"}', "bad_request", "answered 400: invalid format"),
        (401, b'{"error": "unauthorized"}', "auth", "the key is missing or wrong"),
        (502, b"<html>bad gateway</html>", "server_error", "answered 502"),
        (503, b"[]", "server_error", "answered 503"),  # ollama.ResponseError itself breaks on this body
    ],
)
def test_odd_statuses_and_bodies(
    make: Callable[..., OllamaText], status: int, body: bytes, kind: str, said: str
) -> None:
    provider = make(
        "http://ollama.invalid", transport=httpx.MockTransport(lambda _: httpx.Response(status, content=body))
    )
    error = failure_of(provider)
    assert error.kind == kind
    assert said in error.detail


def test_check_is_healthy_when_the_model_is_pulled(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    health = make(server.url).check()
    assert health == HealthResult(True, health.latency_ms, ["llama3.2:latest", MODEL], "")
    assert health.latency_ms > 0


def test_check_is_unhealthy_when_the_model_is_not_pulled(
    server: OllamaServer, make: Callable[..., OllamaText]
) -> None:
    server.pulled_models = ["qwen3:latest"]
    health = make(server.url).check()

    assert not health.healthy
    assert health.models == ["qwen3:latest"]
    assert health.error == f"model {MODEL} is not pulled; run 'ollama pull {MODEL}'"


def test_check_is_unhealthy_when_refused(make: Callable[..., OllamaText]) -> None:
    health = make(refused_url(), timeout_s=1.0).check()
    assert not health.healthy
    assert "could not be reached" in health.error and "\n" not in health.error


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("500", "answered 500"),
        ("malformed", "did not answer a JSON list"),
        ("wrong_type", "did not answer a JSON list"),
        ("empty", "is not pulled"),
        ("hang", "did not answer GET /api/tags within 0.5 s"),
    ],
)
def test_check_reports_each_fault_without_raising(
    server: OllamaServer, fault: str, said: str, make: Callable[..., OllamaText]
) -> None:
    server.fail(fault, path="/api/tags")
    health = make(server.url, timeout_s=0.5).check()
    assert not health.healthy
    assert said in health.error


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("qwen3:8b", "qwen3:8b"),
        ("Qwen3", "qwen3:latest"),
        ("registry:5000/team/llm", "registry:5000/team/llm:latest"),
    ],
)
def test_canonical_model_names(name: str, canonical: str) -> None:
    assert canonical_model(name) == canonical


def test_the_fake_streams_ndjson_when_asked(server: OllamaServer) -> None:
    server.replies = ["one two three"]
    with ollama.Client(host=server.url) as client:
        parts = list(client.chat(MODEL, [{"role": "user", "content": "count to three"}], stream=True))

    assert "".join(part.message.content or "" for part in parts) == "one two three"
    assert [part.done for part in parts] == [False, False, False, True]
    assert (parts[-1].prompt_eval_count, parts[-1].eval_count) == (3, 3)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "format": "yaml"}, 400),
        ({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "format": {"title": "x"}}, 400),
        ({"model": MODEL, "messages": "hi"}, 400),
        ({"messages": []}, 400),
        ({"model": "nope", "messages": []}, 404),
        ({"model": MODEL, "messages": [], "format": "json", "stream": False}, 200),
    ],
)
def test_the_fake_checks_chat_bodies(server: OllamaServer, body: dict[str, object], status: int) -> None:
    response = httpx.post(f"{server.url}/api/chat", content=json.dumps(body), timeout=2)
    assert response.status_code == status
    if status != 200:
        assert isinstance(response.json()["error"], str)
