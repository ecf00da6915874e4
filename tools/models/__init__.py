"""The model router: providers per capability (text, image, speech), tried self-hosted, cloud, offline."""

from tools.models.base import (
    TIER_RANK,
    Capability,
    ChatAnswer,
    ChatProvider,
    ChatRequest,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    Provider,
    SpeechRequest,
    TextAnswer,
    TextRequest,
    Tier,
    ToolCall,
    calls_tools,
)
from tools.models.failures import AllProvidersFailed, Attempt, ProviderError

__all__ = [
    "TIER_RANK",
    "AllProvidersFailed",
    "Attempt",
    "Capability",
    "ChatAnswer",
    "ChatProvider",
    "ChatRequest",
    "HealthResult",
    "ImageRequest",
    "MediaAnswer",
    "Provider",
    "ProviderError",
    "SpeechRequest",
    "TextAnswer",
    "TextRequest",
    "Tier",
    "ToolCall",
    "calls_tools",
]
