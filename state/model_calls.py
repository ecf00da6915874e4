"""What nodes ask the model router for, and what it answers: requests, answers, and the routed result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from typing_extensions import TypedDict

Capability = Literal["text", "image", "speech"]
Tier = Literal["self-hosted", "cloud", "free", "offline"]
CAPABILITIES: tuple[Capability, ...] = ("text", "image", "speech")

# Lower is better: the router tries tiers in this order, and "degraded" means a higher rank won.
TIER_RANK: dict[str, int] = {"self-hosted": 0, "cloud": 1, "free": 2, "offline": 3}


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
    # The provider the job asked to try first (its `providers`); None keeps the configured order.
    prefer: str | None = None


@dataclass(frozen=True)
class ImageRequest:
    """Ask for one image of about `width` x `height`; `offline` renders a card and returns its PNG bytes."""

    prompt: str
    width: int
    height: int
    offline: Callable[[], bytes]
    negative_prompt: str = ""
    seed: int = 0
    # What to search open media for (the scene's picture description), and how a search claims a picture
    # so no two scenes of a run show the same one (False: another scene has it).
    query: str = ""
    claim: Callable[[str], bool] | None = None
    # The job's --visuals: "photos" and "clips" try the photo and clip sources first, "cards" only the
    # offline cards, "auto" the configured order.
    visuals: str = "auto"
    # The provider the job asked to try first; ignored with visuals "cards", which keeps to the cards.
    prefer: str | None = None

    def wants_clips(self) -> bool:
        """Whether a short video clip (MP4) may answer instead of a still: the job asked for clips.

        Sources that have clips then try them first; the answer's content type says which it is."""
        return self.visuals == "clips"


@dataclass(frozen=True)
class SpeechRequest:
    """Ask for `text` spoken aloud; `offline` speaks it with the local voice and returns WAV bytes."""

    text: str
    offline: Callable[[], bytes]
    lang: str = "en"
    # The provider the job asked to try first; None keeps the configured order.
    prefer: str | None = None


@dataclass(frozen=True)
class TextAnswer:
    """A validated JSON object and what it cost in tokens."""

    data: dict[str, Any]
    model: str
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True)
class MediaAnswer:
    """Bytes of an image, a video clip ("video/mp4") or an audio file; the router checks they decode."""

    data: bytes
    model: str
    content_type: str = ""
    # Filled by the router after decoding: seconds of audio for speech, 1 for an image.
    audio_s: float = 0.0
    # For open media: title, author, licence, licence URL and source page, for the credits.
    credit: dict[str, str] | None = None


@dataclass(frozen=True)
class HealthResult:
    """One health check of one provider."""

    healthy: bool
    latency_ms: float
    models: list[str] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class Routed:
    """What the router returns: the answer, who gave it, and whether a lower tier had to step in."""

    answer: Any
    provider: str
    tier: str
    model: str
    # One line per provider tried before the one that answered, e.g. "ollama (self-hosted): timeout - ...".
    failures: list[str]
    degraded: str | None


class Degradation(TypedDict):
    """An artifact made by a lower tier than the best one configured, and why."""

    capability: str
    artifact: str
    tier: str
    provider: str
    reason: str


class ToolCall(TypedDict):
    """One tool a chat model asked to run: the call's id (kept through the history), name and arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ChatRequest:
    """A tool-calling chat: `messages` in the OpenAI chat format (system, user, assistant with `tool_calls`
    whose `arguments` are JSON text, and `tool` results with `tool_call_id`); `tools` as JSON-schema function
    specs ({"type": "function", "function": {"name", "description", "parameters"}}).

    Only the providers that call tools answer it; the offline tier never does."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    temperature: float = 0.2
    max_tokens: int = 1024


@dataclass(frozen=True)
class ChatAnswer:
    """A chat model's turn: its text, the tools it wants run (arguments parsed), and what it cost."""

    content: str
    model: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
