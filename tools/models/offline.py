"""The offline tier: always answers, by running the request's own rule-based fallback on this machine."""

from __future__ import annotations

import time

from state.model_calls import (
    Capability,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    SpeechRequest,
    TextAnswer,
    TextRequest,
    Tier,
)


class OfflineProvider:
    """Serves one capability from the fallback each request carries (offline writer, cards, local voice)."""

    name = "offline"
    tier: Tier = "offline"
    endpoint = "local"

    def __init__(self, capability: Capability, model: str) -> None:
        """`model` names the offline engine in the ledger (e.g. 'offline-writer', 'cards', 'piper:joe')."""
        self.capability: Capability = capability
        self.model = model

    def call(self, request: TextRequest | ImageRequest | SpeechRequest) -> TextAnswer | MediaAnswer:
        """Run the request's offline fallback."""
        if isinstance(request, TextRequest):
            return TextAnswer(request.offline(), self.model)
        content_type = "image/png" if isinstance(request, ImageRequest) else "audio/wav"
        return MediaAnswer(request.offline(), self.model, content_type)

    def check(self) -> HealthResult:
        """The offline tier is always there."""
        started = time.perf_counter()
        return HealthResult(True, (time.perf_counter() - started) * 1000, [self.model])
