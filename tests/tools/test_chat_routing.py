"""Tool-calling chats through the router: real clients against the Ollama, OpenAI and HF fakes, with
failover, the ledger, can_chat, and the LangChain chat model the chat door's agent runs on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from graph.router_config import load_router_settings
from state.model_calls import ChatAnswer, ChatRequest
from state.model_settings import DEFAULT_PRICES
from tests.servers.harness import refused_url
from tests.servers.huggingface import CHAT_MODEL, TOKEN, HFServer
from tests.servers.ollama import OllamaServer
from tests.servers.openai import OpenAIServer
from tests.servers.pollinations import PollinationsTextServer
from tools.models.chat_model import RoutedChatModel
from tools.models.failures import AllProvidersFailed
from tools.models.pollinations import PollinationsText
from tools.models.pricing import price_call
from tools.models.service import ModelRouter
from tools.storage.sqlite_ledger import UsageLedger

KEY = "sk-chat-test-key-0123456789"


@tool
def make_video(topic: str, seconds: int = 45) -> str:
    """Start making a short video about `topic`."""
    return f"started run make:{topic}-1 ({seconds} s)"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "make_video",
            "description": "Start making a short video about a topic.",
            "parameters": {
                "type": "object",
                "properties": {"topic": {"type": "string"}, "seconds": {"type": "integer"}},
                "required": ["topic"],
            },
        },
    }
]
ASK = ChatRequest(
    [
        {"role": "system", "content": "You run reelforge."},
        {"role": "user", "content": "make a video about coffee"},
    ],
    TOOLS,
)
CALL = {"tool_calls": [{"name": "make_video", "arguments": {"topic": "coffee"}}]}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    started = {"ollama": OllamaServer(), "openai": OpenAIServer(), "hf": HFServer()}
    for server in started.values():
        server.start()
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def models(servers: dict[str, Any], tmp_path: Path) -> Callable[..., ModelRouter]:
    """A ModelRouter whose text order is `order`, every provider pointed at a fake, with no retries."""
    ollama, cloud, hf = servers["ollama"], servers["openai"], servers["hf"]
    ollama.replies.clear()
    ollama.chats.clear()
    ollama.heal()
    cloud.reset()
    cloud.api_key = KEY
    hf.reset()

    def build(
        order: list[str], ollama_url: str | None = None, router: str = "", free: bool = False
    ) -> ModelRouter:
        config = tmp_path / "reelforge.toml"
        config.write_text(
            f"""
[router]
order = {{ text = {json.dumps(order)} }}
{router}

[providers.ollama]
url = "{ollama_url or ollama.url}"
retries = 0

[providers.openai_compatible]
url = "{cloud.url}/v1"
text_model = "test-chat"
retries = 0

[providers.openai]
url = "{cloud.url}/v1"
text_model = "test-chat"
retries = 0

[providers.huggingface]
url = "{hf.url}"
text_model = "{CHAT_MODEL}"
retries = 0
"""
        )
        environ = {
            "REELFORGE_CONFIG": str(config),
            "OPENAI_API_KEY": KEY,
            "OPENAI_COMPATIBLE_API_KEY": KEY,
            "HF_TOKEN": TOKEN,
            "REELFORGE_THIRD_PARTY_FREE": "on" if free else "off",
        }
        settings = load_router_settings(tmp_path, environ=environ)
        return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-chat")

    return build


def test_ollama_answers_a_tool_call_with_the_tools_offered_and_an_id_made_up(servers, models):
    router = models(["ollama", "offline"])
    servers["ollama"].replies.append(CALL)
    routed = router.chat(ASK, "chat")
    answer = routed.answer
    assert isinstance(answer, ChatAnswer)
    assert (routed.provider, routed.tier) == ("ollama", "self-hosted")
    [call] = answer.tool_calls
    assert (call["name"], call["arguments"]) == ("make_video", {"topic": "coffee"})
    assert call["id"].startswith("call_")
    sent = servers["ollama"].chats[-1]
    assert sent["tools"][0]["function"]["name"] == "make_video"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    [record] = router.usage()
    assert (record.node, record.capability, record.provider, record.ok) == ("chat", "text", "ollama", True)
    assert record.tokens_in > 0 and record.tokens_out > 0
    assert record.cost_usd > 0  # self-hosted: the GPU's share for the call's wall time


def test_the_openai_compatible_server_answers_a_tool_call_and_keeps_its_id(servers, models):
    router = models(["openai_compatible", "offline"])
    servers["openai"].replies.append(
        {
            "tool_calls": [
                {"id": "call_abc", "name": "make_video", "arguments": {"topic": "tea", "seconds": 30}}
            ]
        }
    )
    routed = router.chat(ASK, "chat")
    assert routed.provider == "openai_compatible"
    assert routed.answer.tool_calls == [
        {"id": "call_abc", "name": "make_video", "arguments": {"topic": "tea", "seconds": 30}}
    ]
    body = servers["openai"].chats[-1]
    assert body["tools"] == TOOLS and body["model"] == "test-chat"
    [record] = router.usage()
    assert (record.tokens_in, record.tokens_out) == (11, 5)


def test_a_plain_text_answer_has_no_tool_calls_and_no_tools_sends_none(servers, models):
    router = models(["openai", "offline"])
    servers["openai"].replies.append("Which topic would you like?")
    routed = router.chat(ChatRequest(ASK.messages), "chat")
    assert (routed.answer.content, routed.answer.tool_calls) == ("Which topic would you like?", [])
    assert "tools" not in servers["openai"].chats[-1]


def test_a_failing_first_provider_hands_the_chat_to_the_second_and_both_are_ledgered(servers, models):
    router = models(["ollama", "openai", "offline"])
    servers["ollama"].fail("500", times=None)
    servers["openai"].replies.append(CALL)
    routed = router.chat(ASK, "chat")
    assert (routed.provider, routed.tier) == ("openai", "cloud")
    assert routed.answer.tool_calls[0]["arguments"] == {"topic": "coffee"}
    assert routed.degraded is not None and "ollama (self-hosted): server_error" in routed.degraded
    records = router.usage()
    assert [(r.provider, r.ok, r.error_class, r.node) for r in records] == [
        ("ollama", False, "server_error", "chat"),
        ("openai", True, "", "chat"),
    ]
    assert records[1].cost_usd == pytest.approx(
        price_call(DEFAULT_PRICES["openai"], tokens_in=11, tokens_out=5)
    )


@pytest.mark.parametrize("first", ["openai_compatible", "ollama"])
def test_tool_call_arguments_that_are_not_a_json_object_are_malformed_and_fail_over(servers, models, first):
    router = models([first, "openai", "offline"])
    bad = {"tool_calls": [{"name": "make_video", "arguments": '{"topic": "coffee"'}]}
    (servers["openai"] if first == "openai_compatible" else servers["ollama"]).replies.append(bad)
    servers["openai"].replies.append(CALL)
    routed = router.chat(ASK, "chat")
    assert routed.provider == "openai"
    records = router.usage()
    assert [(r.provider, r.ok, r.error_class) for r in records] == [
        (first, False, "malformed"),
        ("openai", True, ""),
    ]


def test_the_offline_writer_is_skipped_not_failed_and_the_error_names_each_provider(servers, models):
    router = models(["ollama", "offline"])
    servers["ollama"].fail("500", times=None)
    with pytest.raises(AllProvidersFailed) as caught:
        router.chat(ASK, "chat")
    message = str(caught.value)
    assert "\n" not in message
    assert "ollama (self-hosted): server_error" in message and "offline" not in message
    assert [r.provider for r in router.usage()] == ["ollama"]


def test_hugging_face_answers_a_chat_through_its_chat_completion(servers, models):
    router = models(["huggingface", "offline"])
    servers["hf"].replies.append("Sure, which topic?")
    routed = router.chat(ASK, "chat")
    assert (routed.provider, routed.answer.content, routed.answer.tool_calls) == (
        "huggingface",
        "Sure, which topic?",
        [],
    )


def test_can_chat_only_with_a_self_hosted_or_cloud_provider_that_calls_tools(servers, models):
    assert models(["ollama", "offline"]).can_chat()
    assert models(["openai", "offline"]).can_chat()
    assert not models(["offline"]).can_chat()
    # The free tier answers text, but never makes the chat door an agent.
    free = models(["pollinations_text", "offline"], free=True)
    assert [slot.provider.name for slot in free.router("text").slots] == ["pollinations_text", "offline"]
    assert not free.can_chat()


def test_can_chat_is_false_while_the_only_tool_caller_cools_down(servers, models):
    router = models(["ollama", "offline"], router="failures_before_cooldown = 1")
    assert router.can_chat()
    servers["ollama"].fail("500", times=None)
    with pytest.raises(AllProvidersFailed):
        router.chat(ASK, "chat")
    assert not router.can_chat()


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_the_langchain_model_round_trips_a_tool_call_and_its_result(servers, models, provider):
    router = models([provider, "offline"])
    server = servers[provider]
    server.replies += [CALL, "Your video about coffee is on its way."]
    chat = RoutedChatModel(router=router).bind_tools([make_video])
    history: list[Any] = [SystemMessage("You run reelforge."), HumanMessage("make a video about coffee")]

    first = chat.invoke(history)
    assert isinstance(first, AIMessage)
    [call] = first.tool_calls
    assert (call["name"], call["args"]) == ("make_video", {"topic": "coffee"})
    assert first.usage_metadata is not None and first.usage_metadata["output_tokens"] > 0
    result = make_video.invoke(call["args"])
    history += [first, ToolMessage(result, tool_call_id=call["id"])]

    second = chat.invoke(history)
    assert second.content == "Your video about coffee is on its way." and not second.tool_calls
    sent = server.chats[-1]["messages"]
    assert sent[-1]["role"] == "tool" and sent[-1]["content"] == "started run make:coffee-1 (45 s)"
    assistant = sent[-2]
    assert assistant["role"] == "assistant"
    if provider == "ollama":
        # Ollama's shape: arguments as an object, and the result names its tool.
        assert assistant["tool_calls"] == [
            {"function": {"name": "make_video", "arguments": {"topic": "coffee"}}}
        ]
        assert sent[-1]["tool_name"] == "make_video"
    else:
        assert sent[-1]["tool_call_id"] == call["id"] == assistant["tool_calls"][0]["id"]
        assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"topic": "coffee"}
    assert server.chats[-1]["tools"][0]["function"]["name"] == "make_video"
    assert [(r.node, r.provider, r.ok) for r in router.usage()] == [("chat", provider, True)] * 2


def test_the_langchain_model_raises_the_routers_error_when_every_provider_fails(servers, models):
    router = models(["ollama", "openai", "offline"], ollama_url=refused_url())
    servers["openai"].fail("429", times=None)
    chat = RoutedChatModel(router=router, node="chat").bind_tools([make_video])
    with pytest.raises(AllProvidersFailed) as caught:
        chat.invoke("make a video about coffee")
    assert "ollama (self-hosted): refused" in str(caught.value)
    assert "openai (cloud): rate_limited" in str(caught.value)
    assert KEY not in str(caught.value)


def test_no_tool_calling_provider_at_all_says_so_in_one_line(models):
    router = models(["offline"])
    with pytest.raises(AllProvidersFailed, match="no text provider answered: none is set up"):
        router.chat(ASK, "chat")


def test_pollinations_answers_a_chat_privately_and_without_any_key():
    with PollinationsTextServer() as server:
        server.replies.append("Which topic?")
        answer = PollinationsText(f"{server.url}/openai", timeout_s=5).chat(ASK)
        assert (answer.content, answer.tool_calls) == ("Which topic?", [])
        [body] = server.bodies
        assert body["private"] is True and body["tools"] == TOOLS
        assert server.credentials_seen() == []


def test_the_langchain_model_answers_async_callers_too(servers, models):
    router = models(["openai", "offline"])
    servers["openai"].replies.append(CALL)
    chat = RoutedChatModel(router=router).bind_tools([make_video])
    answer = asyncio.run(chat.ainvoke([HumanMessage("make a video about coffee")]))
    assert [call["args"] for call in answer.tool_calls] == [{"topic": "coffee"}]
    assert answer.response_metadata["router_provider"] == "openai"
