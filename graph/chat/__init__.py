"""The chat door's engine: a tool-calling agent over the Operations when a chat model answers, the rule
parser when none does, conversations kept as checkpointed threads `chat:<conversation>:<n>`."""

from graph.chat.agent import build_chat_graph
from graph.chat.engine import ChatEngine, check_conversation, new_conversation
from graph.chat.rules import Intent, parse

__all__ = ["ChatEngine", "Intent", "build_chat_graph", "check_conversation", "new_conversation", "parse"]
