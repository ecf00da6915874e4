"""ChatEngine: one line of a conversation in, a stream of chat items out; the same for every door.

The items, in order: {"type": "conversation", "conversation": id} first; then any of
{"type": "reply", "text"}, {"type": "run", "run_id", "status"}, {"type": "event", "event": RunEvent},
{"type": "approval", "run_id", "gate", "script", "text"}; and last {"type": "done"}.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.errors import GraphRecursionError

from graph.chat import rules
from graph.chat.agent import build_chat_graph
from graph.chat.desk import JOB_FIELDS, ChatItem, problem_words
from graph.chat.thread import (
    CONVERSATION_PATTERN,
    ChatContext,
    ChatState,
    current_start,
    thread_config,
    thread_id,
)
from graph.operations import Operations
from graph.runs import ChatThreads
from tools.errors import BadInput, ReelforgeError, first_line
from tools.secrets import redact

if TYPE_CHECKING:
    from graph.services import Services

_log = structlog.get_logger("reelforge.chat")
# Model calls and tool rounds in one turn; a model that keeps calling tools is stopped here.
RECURSION_LIMIT = 40
ModelChoice = Callable[[str], BaseChatModel | None]


def new_conversation() -> str:
    """A fresh conversation name: 'c-' and eight hex digits."""
    return f"c-{secrets.token_hex(4)}"


def check_conversation(name: str) -> str:
    """The name if it is a usable conversation name; BadInput saying what is allowed otherwise."""
    if not re.fullmatch(CONVERSATION_PATTERN, name):
        raise BadInput(
            f"cannot use {name[:40]!r} as a conversation name; use up to 80 letters, digits, '.', '_' or '-'"
        )
    return name


class ChatEngine:
    """The chat behind `reelforge chat`, POST /chat and the dashboard's panel."""

    def __init__(
        self,
        ops: Operations,
        *,
        model: BaseChatModel | ModelChoice | None | str = "auto",
        services: Services | None = None,
    ) -> None:
        """Act through `ops`. `model`: "auto" picks the router's chat model when one can answer (else the
        rules), None always uses the rules, a chat model (or a function of the conversation returning
        one) is used as given."""
        self.ops = ops
        self.services = services or ops.service.services
        self.threads = ChatThreads(self.services, build_chat_graph)
        if model == "auto":
            from graph.chat.model import ModelPicker

            self._choose: ModelChoice = ModelPicker(self.services)
        elif model is None or isinstance(model, str):
            self._choose = _no_model
        elif isinstance(model, BaseChatModel):
            chosen = model
            self._choose = lambda conversation: chosen
        else:
            self._choose = model
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, conversation: str) -> asyncio.Lock:
        # Two tabs on one conversation take turns; different conversations run side by side.
        return self._locks.setdefault(conversation, asyncio.Lock())

    def model_for(self, conversation: str) -> BaseChatModel | None:
        """The chat model a turn of `conversation` would use now; None: the rule parser reads it."""
        return self._model(conversation)

    def _model(self, conversation: str) -> BaseChatModel | None:
        try:
            return self._choose(conversation)
        except Exception as exc:  # a broken model setting must not take the chat down: the rules answer
            _log.warning("chat_model_unavailable", error=redact(first_line(exc)))
            return None

    async def turn(
        self,
        message: str,
        conversation: str | None = None,
        *,
        review: bool | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> AsyncIterator[ChatItem]:
        """Answer one line of `conversation` (a new one when None): the chat items, ending with done.

        `review` (when given) becomes the conversation's setting: stop its videos at the script gate.
        `defaults` are job fields its videos get unless a line says otherwise (preview, voice)."""
        name = check_conversation(conversation) if conversation else new_conversation()
        yield {"type": "conversation", "conversation": name}
        try:
            unknown = sorted(set(defaults or {}) - JOB_FIELDS)
            if unknown:
                raise BadInput(f"a video has no setting called {unknown[0]!r}")
            async with self._lock(name), self.threads.open() as chat:
                n, exists = await current_start(chat.saver, name)
                if rules.is_start_over(message):
                    yield await self._start_over(chat, name, n, exists, message)
                else:
                    inputs: ChatState = {"messages": [HumanMessage(message)], "follow": []}
                    if review is not None:
                        inputs["review"] = review
                    if defaults:
                        inputs["defaults"] = dict(defaults)
                    context = ChatContext(self.ops, name, self._model(name))
                    config = thread_config(name, n)
                    config["recursion_limit"] = RECURSION_LIMIT
                    async for item in chat.turn(inputs, config, context):
                        yield item
        except GraphRecursionError:
            yield {"type": "reply", "text": "I stopped: that took too many steps; say it another way."}
        except ReelforgeError as exc:
            yield {"type": "reply", "text": f"error: {redact(problem_words(exc))}"}
        except Exception as exc:
            # A door's stream must still end with done; the traceback goes to the log.
            _log.exception("chat_turn_failed", conversation=name)
            words = f"{type(exc).__name__}: {first_line(exc)}"
            yield {"type": "reply", "text": f"error: {redact(words)}; the log has the details"}
        yield {"type": "done"}

    async def _start_over(self, chat: Any, name: str, n: int, exists: bool, message: str) -> ChatItem:
        """Begin the conversation's next thread, keeping its settings and last run but not its messages."""
        if not exists:
            return {"type": "reply", "text": "This conversation has just begun; there is nothing to forget."}
        old = await chat.values(thread_config(name, n))
        reply = (
            f"Started afresh in {thread_id(name, n + 1)}; the earlier messages stay in {thread_id(name, n)}."
        )
        values = {
            "messages": [HumanMessage(message), AIMessage(reply)],
            "defaults": dict(old.get("defaults") or {}),
            "review": bool(old.get("review", False)),
            "last_run": old.get("last_run"),
            "pending": old.get("pending"),
            "follow": [],
        }
        await chat.write(thread_config(name, n + 1), values, as_node="apply_rules")
        return {"type": "reply", "text": reply}

    async def history(self, conversation: str) -> dict[str, Any] | None:
        """A conversation's current thread as a door shows it after a reload; None if it has none."""
        name = check_conversation(conversation)
        async with self.threads.open() as chat:
            n, exists = await current_start(chat.saver, name)
            if not exists:
                return None
            values = await chat.values(thread_config(name, n))
        messages = []
        for message in values.get("messages") or []:
            role = {"human": "user", "ai": "assistant"}.get(message.type)
            text = message.content if isinstance(message.content, str) else ""
            if role is not None and text.strip():
                messages.append({"role": role, "text": text})
        return {
            "conversation": name,
            "thread_id": thread_id(name, n),
            "messages": messages,
            "last_run": values.get("last_run"),
            "pending": values.get("pending"),
            "review": bool(values.get("review", False)),
            "defaults": dict(values.get("defaults") or {}),
        }


def _no_model(conversation: str) -> BaseChatModel | None:
    return None
