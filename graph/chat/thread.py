"""A chat conversation as a checkpointed thread: its state, its runtime context, and its thread ids.

A conversation named NAME lives in the thread `chat:NAME:<n>`, where <n> counts the conversation's fresh
starts: it is 1 until someone says "start over", which begins `chat:NAME:2` (carrying over the settings
and the last run, not the messages) and so on. The earlier threads stay in the checkpointer, readable.
The current thread is the highest <n> that has a checkpoint, so a conversation resumes after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from graph.operations import Operations

# Conversation names are safe in a thread id and a URL: the API's ChatMessage pattern.
CONVERSATION_PATTERN = r"^[A-Za-z0-9._-]{1,80}$"


def merge_settings(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """A reducer: the conversation's settings with the newly given ones laid over them."""
    return {**(old or {}), **(new or {})}


class Pending(TypedDict):
    """A gate this conversation's run waits at; `script` is the draft as edited in the chat so far."""

    run_id: str
    gate: str
    script: dict[str, Any] | None
    edited: bool


class Follow(TypedDict):
    """A run to follow at the end of the turn, from the event after `after`."""

    run_id: str
    after: int


class ChatState(TypedDict, total=False):
    """One conversation: its messages and what the chat remembers between turns (JSON-native)."""

    messages: Annotated[list[AnyMessage], add_messages]
    # Job fields every video made in this conversation gets unless the line says otherwise (preview, voice).
    defaults: Annotated[dict[str, Any], merge_settings]
    # Stop videos made in this conversation at the script gate for approval.
    review: bool
    # The conversation's latest run: what "it", "that" and "the last run" mean.
    last_run: str | None
    pending: Pending | None
    # Runs started, resumed or answered this turn, followed to where they settle before the turn ends.
    follow: list[Follow]


@dataclass(frozen=True)
class ChatContext:
    """What the chat graph's nodes use and never checkpoint: the operations and the chat model, if any."""

    ops: Operations
    conversation: str
    # A tool-calling chat model; None makes the turn go through the rule parser.
    model: BaseChatModel | None = None


def thread_id(conversation: str, n: int = 1) -> str:
    """The checkpoint thread of a conversation's n-th fresh start: `chat:<conversation>:<n>`."""
    return f"chat:{conversation}:{n}"


def thread_config(conversation: str, n: int) -> RunnableConfig:
    """The run config for a conversation's thread."""
    return {"configurable": {"thread_id": thread_id(conversation, n)}}


async def current_start(saver: BaseCheckpointSaver[Any], conversation: str) -> tuple[int, bool]:
    """(n, exists): the conversation's current thread number, and whether that thread has a checkpoint."""
    n = 0
    while await saver.aget_tuple(thread_config(conversation, n + 1)) is not None:
        n += 1
    return max(n, 1), n > 0
