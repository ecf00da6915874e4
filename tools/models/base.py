"""What every model provider implements, and the requests and answers the router passes through them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

Capability = Literal["text", "image", "speech"]
Tier = Literal["self-hosted", "cloud", "offline"]

# Lower is better: the router tries tiers in this order, and "degraded" means a higher rank won.
TIER_RANK: dict[str, int] = {"self-hosted": 0, "cloud": 1, "offline": 2}


@dataclass(frozen=True)
class TextRequest:
    """Ask for one JSON object that validates against `schema`.

    `offline` is what the offline tier returns instead: the rule-based answer to the same request.
    """

    system: str
    prompt: str
    schema: type[BaseModel]
    offline: Callable[[], dict[str, Any]]
    temperature: float = 0.4
    max_tokens: int = 4096


@dataclass(frozen=True)
class ImageRequest:
    """Ask for one image of about `width` x `height`; `offline` renders a card to the given path."""

    prompt: str
    width: int
    height: int
    offline: Callable[[], bytes]
    negative_prompt: str = ""
    seed: int = 0


@dataclass(frozen=True)
class SpeechRequest:
    """Ask for `text` spoken aloud; `offline` speaks it with the local voice and returns WAV bytes."""

    text: str
    offline: Callable[[], bytes]
    lang: str = "en"


@dataclass(frozen=True)
class TextAnswer:
    """A validated JSON object and what it cost in tokens."""

    data: dict[str, Any]
    model: str
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True)
class MediaAnswer:
    """Raw bytes of an image or an audio file as the provider sent them; the router checks they decode."""

    data: bytes
    model: str
    content_type: str = ""


@dataclass(frozen=True)
class HealthResult:
    """One health check of one provider."""

    healthy: bool
    latency_ms: float
    models: list[str] = field(default_factory=list)
    error: str = ""


class Provider(Protocol):
    """One model server or API for one capability.

    `call` raises `ProviderError` (tools.models.failures) for every failure it can name; the router
    classifies anything else itself. `check` never raises: it reports what it found.
    """

    name: str
    tier: Tier
    capability: Capability
    model: str
    endpoint: str

    def call(self, request: Any) -> Any:
        """Answer one request: a TextAnswer for text, a MediaAnswer for image and speech."""
        ...

    def check(self) -> HealthResult:
        """Probe the server: reachable, authorised, and the configured model present."""
        ...
