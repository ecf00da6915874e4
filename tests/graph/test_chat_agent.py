"""The chat agent with a scripted fake chat model that calls tools: it makes a video through a tool call
and answers from the tool's result, asks what that cost, and its conversation resumes in a new engine on
the same home (the checkpointed thread), where the rule parser remembers the same last run."""

from __future__ import annotations

import ast
import asyncio
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver

from graph.chat import ChatEngine, build_chat_graph
from graph.operations import Operations
from graph.run_launcher import RunLauncher
from graph.runs import RunService
from graph.services import Services, open_services
from graph.settings import load_settings
from prompts.chat import ALL as CHAT_PROMPTS
from tests.servers.ollama import OllamaServer

SNAPSHOT = Path(__file__).parent / "snapshots" / "chat.mmd"
Step = AIMessage | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(GenericFakeChatModel):
    """A fake chat model that plays `script` in order: a step is an AIMessage (tool calls or words), or a
    function of the messages it was sent (to answer from a tool's result). bind_tools returns itself."""

    script: list[Any]
    seen: list[list[BaseMessage]] = []
    bound: list[str] = []
    messages: Iterator[AIMessage | str] = iter(())
    disable_streaming: bool = True

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound = [tool.name for tool in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        step = self.script.pop(0)
        message = step(messages) if callable(step) else step
        return ChatResult(generations=[ChatGeneration(message=message)])


class SilentModel(ScriptedChatModel):
    """A chat model whose every provider is down."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise RuntimeError("every text provider failed")


def call(name: str, call_id: str = "call-1", **args: Any) -> AIMessage:
    """An AIMessage asking for one tool."""
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


def echo_tool(prefix: str) -> Callable[[list[BaseMessage]], AIMessage]:
    """A step that answers with the last tool result, as a model answering from it would."""

    def answer(messages: list[BaseMessage]) -> AIMessage:
        result = next(m for m in reversed(messages) if isinstance(m, ToolMessage))
        return AIMessage(f"{prefix} {result.content}")

    return answer


def _engine(home: Path, model: Any) -> tuple[ChatEngine, Services, Operations]:
    services = open_services(load_settings(home=home))
    service = RunService(services, owner="test-chat")
    ops = Operations(service, RunLauncher(service))
    return ChatEngine(ops, model=model), services, ops


def _close(services: Services, ops: Operations) -> None:
    ops.launcher.close(wait=True)
    services.close()


def _say(engine: ChatEngine, line: str, conversation: str = "t", **kwargs: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        return [item async for item in engine.turn(line, conversation, **kwargs)]

    return asyncio.run(go())


def _replies(items: list[dict[str, Any]]) -> list[str]:
    return [item["text"] for item in items if item["type"] == "reply"]


def test_mermaid_snapshot() -> None:
    drawn = build_chat_graph().compile(checkpointer=InMemorySaver()).get_graph(xray=True).draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(drawn)
    assert drawn == SNAPSHOT.read_text(), "graph changed: rerun with UPDATE_SNAPSHOTS=1 and review the diff"


def test_the_chat_reaches_runs_through_operations_only() -> None:
    chat = Path(__file__).resolve().parents[2] / "graph" / "chat"
    for path in chat.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        assert not imported & {"graph.run_launcher", "graph.orchestrator"}, path.name
        # From the run service, only the chat's own threads (compiled and streamed there, as runs are).
        from_runs = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "graph.runs"
            for alias in node.names
        }
        assert from_runs <= {"ChatThreads", "OpenChat"}, path.name
        names = {getattr(node, "id", getattr(node, "attr", "")) for node in ast.walk(tree)}
        assert "compile_orchestrator" not in names and "RunService" not in names, path.name


@pytest.mark.parametrize("prompt", CHAT_PROMPTS, ids=lambda p: p.name)
def test_the_chat_prompt_renders(prompt: Any) -> None:
    text = prompt.render(**{name: f"<{name}>" for name in prompt.placeholders})
    assert "$" not in text


@pytest.mark.slow
def test_the_agent_makes_a_video_by_tool_and_its_conversation_resumes(home: Path) -> None:
    model = ScriptedChatModel(
        script=[
            call("make_video", request="make a video about tea", duration_s=10, voice="espeak", preview=True),
            echo_tool("Here you go:"),
            call("costs", call_id="call-2", run_id="last"),
            echo_tool("That came to:"),
        ]
    )
    engine, services, ops = _engine(home, model)
    try:
        made = _say(engine, "make me a quick 10 second tea video with the espeak voice")
        assert made[0] == {"type": "conversation", "conversation": "t"} and made[-1] == {"type": "done"}
        assert "make_video" in model.bound and "costs" in model.bound and "approve_run" in model.bound
        # The model saw the system prompt with what the job accepts today.
        assert "accepted now: en" in str(model.seen[0][0].content)

        started = next(item for item in made if item["type"] == "run")
        run_id = started["run_id"]
        assert started["status"] == "queued"
        answer = _replies(made)[0]
        assert answer.startswith("Here you go: Started run " + run_id) and "10 s" in answer
        events = [item["event"] for item in made if item["type"] == "event"]
        assert events[0]["kind"] == "queued" and events[-1]["kind"] == "done"
        assert {e["run_id"] for e in events} == {run_id}
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert made[-2] == {
            "type": "reply",
            "text": f"Run {run_id} is done. Video: {events[-1]['data']['video']}",
        }
        assert {"type": "run", "run_id": run_id, "status": "done"} in made
        job = asyncio.run(ops.show_run(run_id))["job"]
        assert (job["duration_s"], job["voice"], job["preview"], job["topic"]) == (10, "espeak", True, "tea")

        cost = _say(engine, "what did that cost?")
        assert _replies(cost) == [
            f"That came to: Run {run_id} cost $0.00 for 11 model calls; premium providers would have cost "
            + _replies(cost)[0].rsplit("cost ", 1)[1]
        ]
        assert not [item for item in cost if item["type"] in ("run", "event")]
    finally:
        _close(services, ops)

    # A new process: another engine on the same home, now with no model, goes on with the same thread.
    engine, services, ops = _engine(home, None)
    try:
        history = asyncio.run(engine.history("t"))
        assert history is not None
        assert history["thread_id"] == "chat:t:1" and history["last_run"] == run_id
        said = [(m["role"], m["text"]) for m in history["messages"]]
        assert said[0] == ("user", "make me a quick 10 second tea video with the espeak voice")
        assert ("user", "what did that cost?") in said
        assert said[-1][0] == "assistant" and said[-1][1].startswith("That came to:")
        again = _say(engine, "what did that cost?")
        assert _replies(again)[0].startswith(f"Run {run_id} cost $0.00 for 11 model calls")
    finally:
        _close(services, ops)


def test_a_setting_the_job_cannot_take_comes_back_to_the_model_naming_what_is_accepted(home: Path) -> None:
    model = ScriptedChatModel(
        script=[
            call(
                "make_video",
                request="make a 30 second square video about bees in Spanish, publish to WordPress",
            ),
            echo_tool("Sorry:"),
        ]
    )
    engine, services, ops = _engine(home, model)
    try:
        items = _say(engine, "30 seconds, square, in Spanish, publish to WordPress, about bees")
        assert _replies(items) == ["Sorry: error: unknown language 'es'; choose one of en"]
        tool_answer = next(m for m in model.seen[1] if isinstance(m, ToolMessage))
        assert tool_answer.status == "error"
        assert ops.list_runs() == []

        model.script += [
            call("make_video", call_id="call-3", topic="bees", targets=["wordpress"]),
            echo_tool("Again:"),
        ]
        items = _say(engine, "then just publish to WordPress")
        assert _replies(items) == [
            "Again: error: wordpress is not set up; "
            "set WORDPRESS_URL, WORDPRESS_USER and WORDPRESS_APP_PASSWORD"
        ]
    finally:
        _close(services, ops)


def test_a_model_that_does_not_answer_leaves_the_line_to_the_rules(home: Path) -> None:
    engine, services, ops = _engine(home, SilentModel(script=[]))
    try:
        items = _say(engine, "list runs")
        assert _replies(items) == ["There are no runs yet; say 'make a video about …' to start one."]
    finally:
        _close(services, ops)


def test_start_over_begins_the_next_thread_and_keeps_the_settings(home: Path) -> None:
    engine, services, ops = _engine(home, None)
    try:
        _say(engine, "banana", "s", review=True, defaults={"voice": "espeak"})
        items = _say(engine, "start over", "s")
        assert _replies(items) == ["Started afresh in chat:s:2; the earlier messages stay in chat:s:1."]
        history = asyncio.run(engine.history("s"))
        assert history is not None
        assert history["thread_id"] == "chat:s:2"
        assert history["review"] is True and history["defaults"] == {"voice": "espeak"}
        assert [m["text"] for m in history["messages"]][0] == "start over"
        _say(engine, "help", "s")
        assert asyncio.run(engine.history("s"))["thread_id"] == "chat:s:2"  # type: ignore[index]
        assert _replies(_say(engine, "start over", "fresh")) == [
            "This conversation has just begun; there is nothing to forget."
        ]
    finally:
        _close(services, ops)


def test_with_a_tool_calling_model_on_the_router_the_chat_is_the_agent(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ollama = OllamaServer()
    ollama.start()
    monkeypatch.setenv("OLLAMA_HOST", ollama.url)
    ollama.replies += [
        {"tool_calls": [{"name": "list_runs", "arguments": {"limit": 5}}], "content": ""},
        "Nothing has been made yet.",
    ]
    engine, services, ops = _engine(home, "auto")
    try:
        assert engine.model_for("o") is not None
        items = _say(engine, "what have you made so far?", "o")
        assert _replies(items) == ["Nothing has been made yet."]
        first, second = ollama.chats
        offered = {tool["function"]["name"] for tool in first["tools"]}
        assert {"make_video", "list_runs", "approve_run", "edit_scene", "costs", "provider_status"} <= offered
        assert first["messages"][0]["role"] == "system" and first["messages"][-1]["role"] == "user"
        assert second["messages"][-1]["role"] == "tool"
        assert second["messages"][-1]["content"].startswith("There are no runs yet")
        # The chat's model calls are in the ledger, under the conversation.
        assert {row["key"] for row in ops.costs("1d", "run")["rows"]} == {"chat:o"}
    finally:
        _close(services, ops)
        ollama.stop()
