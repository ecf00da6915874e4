"""What every model provider implements; the requests and answers it handles are shapes from state/."""

from __future__ import annotations

from typing import Any, Protocol

from state.model_calls import (
    TIER_RANK,
    Capability,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    SpeechRequest,
    TextAnswer,
    TextRequest,
    Tier,
)

__all__ = [
    "TIER_RANK",
    "Capability",
    "HealthResult",
    "ImageRequest",
    "MediaAnswer",
    "Provider",
    "SpeechRequest",
    "TextAnswer",
    "TextRequest",
    "Tier",
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
