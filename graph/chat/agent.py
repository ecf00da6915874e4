"""The chat graph: a tool-calling agent when a chat model answers, the rule parser when none does, and then
the runs started in the turn followed until they settle, their events streamed to the door.

START → (call_model ⇄ run_tools | apply_rules) → follow_runs → END. Every node writes what the person
should see as it happens, through the stream writer, as chat items (see graph/chat/engine.py).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import ValidationError

from graph.chat import rules
from graph.chat.desk import ChatDesk, Memory, problem_words
from graph.chat.thread import ChatContext, ChatState
from graph.chat.tools import chat_tools
from prompts.chat import CHAT_SYSTEM
from state.job import LANGUAGES
from state.requests import TARGETS
from tools.errors import ReelforgeError, first_line
from tools.secrets import redact

_log = structlog.get_logger("reelforge.chat")
# The model sees the conversation's last messages only (from a person's line on), so a long chat stays
# within a small model's context.
HISTORY_MESSAGES = 40


def _desk(state: ChatState, runtime: Runtime[ChatContext]) -> ChatDesk:
    return ChatDesk(runtime.context.ops, Memory.of(dict(state)), runtime.stream_writer)


def _text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


def _recent(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The last messages from a person's line on, so no tool answer is cut from the call it answers."""
    start = max(0, len(messages) - HISTORY_MESSAGES)
    while start > 0 and not isinstance(messages[start], HumanMessage):
        start -= 1
    return messages[start:]


def _pending_words(memory: Memory) -> str:
    pending = memory.pending
    if pending is None:
        return "nothing"
    edited = " (edited in this chat, not yet approved)" if pending["edited"] else ""
    return f"run {pending['run_id']} at the {pending['gate']} gate{edited}"


def route_from_start(state: ChatState, runtime: Runtime[ChatContext]) -> str:
    """The agent when a chat model answers; the rule parser otherwise."""
    return "call_model" if runtime.context.model is not None else "apply_rules"


async def call_model(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Ask the chat model for its next step: tool calls, an answer, or both."""
    model = runtime.context.model
    assert model is not None  # route_from_start sends a turn here only with a model
    desk = _desk(state, runtime)
    system = CHAT_SYSTEM.render(
        languages=", ".join(LANGUAGES),
        targets=", ".join(TARGETS),
        last_run=desk.memory.last_run or "none yet",
        pending=_pending_words(desk.memory),
    )
    messages = [SystemMessage(system), *_recent(state["messages"])]
    try:
        answer = await model.bind_tools(chat_tools(desk)).ainvoke(messages)
    except Exception as exc:
        # No model answered (all providers down, a malformed answer): the rules take a fresh line, and a
        # line already half-done by tools gets one line saying so.
        _log.warning("chat_model_failed", error=redact(first_line(exc)))
        if isinstance(state["messages"][-1], HumanMessage):
            return {}
        words = f"The chat model stopped answering ({redact(first_line(exc))}); try again."
        runtime.stream_writer({"type": "reply", "text": words})
        return {"messages": [AIMessage(words)]}
    if not isinstance(answer, AIMessage):
        answer = AIMessage(_text(answer))
    if text := _text(answer).strip():
        runtime.stream_writer({"type": "reply", "text": text})
    return {"messages": [answer]}


def route_after_call_model(state: ChatState) -> str:
    """Tools when the model called some; the rules when it did not answer at all; else follow the runs."""
    last = state["messages"][-1]
    if isinstance(last, HumanMessage):
        return "apply_rules"
    if isinstance(last, AIMessage) and last.tool_calls:
        return "run_tools"
    return route_to_follow(state)


async def run_tools(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Run the tools the model called, in order; each answer (or one-line error) goes back to it."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    desk = _desk(state, runtime)
    tools = {tool.name: tool for tool in chat_tools(desk)}
    answers: list[AnyMessage] = []
    for call in last.tool_calls:
        tool = tools.get(call["name"])
        status = "success"
        if tool is None:
            content, status = f"error: there is no tool called {call['name']!r}", "error"
        else:
            try:
                content = str(await tool.ainvoke(call["args"]))
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(part) for part in problem["loc"]) or "arguments"
                content, status = f"error: {where}: {problem['msg']}", "error"
            except ReelforgeError as exc:
                content, status = f"error: {problem_words(exc)}", "error"
        _log.info("chat_tool", tool=call["name"], args=json.dumps(call["args"])[:200], status=status)
        answers.append(ToolMessage(content, tool_call_id=call["id"] or call["name"], status=status))
    return {"messages": answers, **desk.memory.update()}


async def apply_rules(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Read the line with the rule parser and do what it asks; say what was done or not understood."""
    desk = _desk(state, runtime)
    line = _text(state["messages"][-1])
    pending = desk.memory.pending
    intent = rules.parse(line, awaiting=pending["gate"] if pending is not None else None)
    try:
        reply = await _act(desk, intent)
    except ReelforgeError as exc:
        reply = _refusal(intent, problem_words(exc))
    runtime.stream_writer({"type": "reply", "text": reply})
    return {"messages": [AIMessage(reply)], **desk.memory.update()}


def _refusal(intent: rules.Intent, problem: str) -> str:
    if intent.name == "make":
        return f"I can't make that video: {problem}"
    return f"I can't do that: {problem}"


async def _act(desk: ChatDesk, intent: rules.Intent) -> str:
    fields = intent.fields
    match intent.name:
        case "make":
            return await desk.make_video(**fields)
        case "status":
            return desk.providers()
        case "costs":
            return await desk.costs(**fields)
        case "list":
            return desk.list_runs(**fields)
        case "show":
            return await desk.show_run(**fields)
        case "follow":
            return await desk.follow(**fields)
        case "resume":
            return await desk.resume(**fields)
        case "approve":
            return await desk.approve(**fields)
        case "reject":
            return await desk.reject(**fields)
        case "edit":
            return await desk.edit_scene(**fields)
        case "regenerate":
            return await desk.regenerate_scene(**fields)
        case "help":
            return "\n".join(rules.HELP_LINES)
        case "start_over":
            # The door begins the next thread before the graph runs; reaching here means it could not.
            return "Say 'start over' on its own line to begin a fresh conversation."
    return rules.not_understood(str(fields.get("text", "")))


def route_to_follow(state: ChatState) -> str:
    """Follow the runs this turn started or answered; end the turn when there are none."""
    return "follow_runs" if state.get("follow") else END


async def follow_runs(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Stream each run's events until it settles, then say how it ended (asking a gate inline)."""
    desk = _desk(state, runtime)
    said: list[AnyMessage] = []
    for item in state.get("follow") or []:
        last = None
        async for event in runtime.context.ops.follow(item["run_id"], item["after"]):
            runtime.stream_writer({"type": "event", "event": event})
            last = event
        reply = await desk.settled(item["run_id"], last)
        runtime.stream_writer({"type": "reply", "text": reply})
        said.append(AIMessage(reply))
    desk.memory.follow = []
    return {"messages": said, **desk.memory.update()}


def build_chat_graph() -> StateGraph[ChatState, ChatContext, ChatState, ChatState]:
    """The chat graph's builder (uncompiled; the engine compiles it with the conversation's saver)."""
    builder = StateGraph(ChatState, context_schema=ChatContext)
    builder.add_node("call_model", call_model)
    builder.add_node("run_tools", run_tools)
    builder.add_node("apply_rules", apply_rules)
    builder.add_node("follow_runs", follow_runs)
    builder.add_conditional_edges(START, route_from_start, ["call_model", "apply_rules"])
    builder.add_conditional_edges(
        "call_model", route_after_call_model, ["run_tools", "apply_rules", "follow_runs", END]
    )
    builder.add_edge("run_tools", "call_model")
    builder.add_conditional_edges("apply_rules", route_to_follow, ["follow_runs", END])
    builder.add_edge("follow_runs", END)
    return builder
