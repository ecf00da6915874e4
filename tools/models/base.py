"""What every model provider implements; the requests and answers it handles are shapes from state/."""

from __future__ import annotations

from typing import Any, Protocol, TypeGuard

from state.model_calls import (
    TIER_RANK,
    Capability,
    ChatAnswer,
    ChatRequest,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    SpeechRequest,
    TextAnswer,
    TextRequest,
    Tier,
    ToolCall,
)

__all__ = [
    "TIER_RANK",
    "Capability",
    "ChatAnswer",
    "ChatProvider",
    "ChatRequest",
    "HealthResult",
    "ImageRequest",
    "MediaAnswer",
    "Provider",
    "SpeechRequest",
    "TextAnswer",
    "TextRequest",
    "Tier",
    "ToolCall",
    "calls_tools",
]


class Provider(Protocol):
    """One model server or API for one capability.

    `call` raises `ProviderError` (tools.models.failures) for every failure it can name; the router
    classifies anything else itself. `check` never raises: it reports what it found.
    """

    name: str
    tier: Tier
    capability: Capability
    endpoint: str

    @property
    def model(self) -> str:
        """The model this provider serves, as the ledger records it."""
        ...

    def call(self, request: Any) -> Any:
        """Answer one request: a TextAnswer for text, a MediaAnswer for image and speech."""
        ...

    def check(self) -> HealthResult:
        """Probe the server: reachable, authorised, and the configured model present."""
        ...


class ChatProvider(Provider, Protocol):
    """A text provider that also answers tool-calling chats; `chats` is False when the server behind it
    cannot (a lazily built provider knows its kind before it builds the client)."""

    chats: bool

    def chat(self, request: ChatRequest) -> ChatAnswer:
        """Answer one turn of a chat: text, tool calls, or both."""
        ...


def calls_tools(provider: Provider) -> TypeGuard[ChatProvider]:
    """Whether `provider` answers ChatRequests (tool calling); the offline tier never does."""
    return bool(getattr(provider, "chats", False))
