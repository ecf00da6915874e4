"""Build provider objects from settings: the one place that knows each provider's class."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from state.model_settings import PROVIDER_CAPABILITIES, PROVIDER_TIERS, ProviderSettings, RouterSettings
from tools.models.base import Capability, ChatAnswer, ChatRequest, HealthResult, Provider, Tier, calls_tools
from tools.models.offline import OfflineProvider

# The text providers whose servers call tools (ChatRequest): every chat-completions API and Ollama's
# /api/chat. The offline writer cannot; Pollinations' text endpoint is OpenAI-compatible and can.
CHAT_PROVIDERS: frozenset[str] = frozenset(
    {"ollama", "openai_compatible", "huggingface", "openai", "groq", "pollinations_text"}
)


def build_provider(name: str, capability: str, settings: ProviderSettings, model: str) -> Provider:
    """The provider `name` serving `capability` with `model`; client libraries are imported on first use."""
    tier = PROVIDER_TIERS[name]
    key = settings.api_key.get_secret_value() if settings.api_key else None
    timeout = settings.timeout_s
    if name == "offline":
        return OfflineProvider(capability, model)  # type: ignore[arg-type]
    if name == "ollama":
        from tools.models.ollama import OllamaText

        return OllamaText(settings.url, model, timeout)
    if name == "comfyui":
        from tools.models.comfyui import ComfyUIImage

        return ComfyUIImage(settings.url, model, settings.family, timeout)
    if name in ("openverse", "commons"):
        from tools.models.open_media import commons_image, openverse_image

        return (openverse_image if name == "openverse" else commons_image)(settings.url, timeout)
    if name in ("pexels", "pixabay"):
        from tools.models.stock_media import pexels_image, pixabay_image

        return (pexels_image if name == "pexels" else pixabay_image)(settings.url, key or "", timeout)
    if name.startswith("pollinations_"):
        from tools.models import pollinations

        if capability == "text":
            return pollinations.PollinationsText(settings.url, model, timeout)
        if capability == "image":
            return pollinations.PollinationsImage(settings.url, model, timeout)
        return pollinations.PollinationsSpeech(settings.url, model, settings.voice, timeout)
    if name == "coqui":
        from tools.models.coqui import CoquiSpeech

        return CoquiSpeech(settings.url, settings.voice, settings.language, timeout)
    if name == "huggingface":
        from tools.models import huggingface

        hf_class: dict[str, Callable[..., Provider]] = {
            "text": huggingface.HFText,
            "image": huggingface.HFImage,
            "speech": huggingface.HFSpeech,
        }
        return hf_class[capability](
            settings.url, key, model, timeout, hub_url=settings.hub_url or huggingface.DEFAULT_HUB_URL
        )
    from tools.models import openai_api

    if capability == "text":
        return openai_api.OpenAIText(name, tier, settings.url, key, model, timeout)  # type: ignore[arg-type]
    if capability == "image":
        return openai_api.OpenAIImage(name, tier, settings.url, key, model, timeout)  # type: ignore[arg-type]
    return openai_api.OpenAISpeech(name, tier, settings.url, key, model, settings.voice or "alloy", timeout)  # type: ignore[arg-type]


class LazyProvider:
    """A provider whose client library is imported and whose client is built on its first call or check.

    An offline machine never pays for importing langchain-ollama or huggingface_hub for servers that
    are not there: the router probes the endpoint first.
    """

    def __init__(self, name: str, capability: str, settings: ProviderSettings, model: str) -> None:
        """Remember what to build; build nothing yet."""
        self.name = name
        self.tier: Tier = PROVIDER_TIERS[name]  # type: ignore[assignment]
        self.capability: Capability = capability  # type: ignore[assignment]
        self.endpoint = settings.url or "local"
        self.chats = capability == "text" and name in CHAT_PROVIDERS
        self._settings, self._model = settings, model
        self._built: Provider | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        """The model the provider reports once built, else the configured one."""
        return self._built.model if self._built is not None else (self._model or self.name)

    def _provider(self) -> Provider:
        with self._lock:
            if self._built is None:
                self._built = build_provider(self.name, self.capability, self._settings, self._model)
            return self._built

    def call(self, request: Any) -> Any:
        """Build on first use, then call."""
        return self._provider().call(request)

    def check(self) -> HealthResult:
        """Build on first use, then check."""
        return self._provider().check()

    def chat(self, request: ChatRequest) -> ChatAnswer:
        """Build on first use, then answer one tool-calling turn."""
        provider = self._provider()
        if not calls_tools(provider):
            raise TypeError(f"{self.name} does not answer tool-calling chats")
        return provider.chat(request)


def providers_for(
    settings: RouterSettings, capability: str, alias: str = "default"
) -> list[tuple[Provider, ProviderSettings]]:
    """The enabled providers for `capability`, in the configured order, with `alias` applied."""
    chosen: list[tuple[Provider, ProviderSettings]] = []
    models = settings.aliases.get(alias, {}) if alias != "default" else {}
    for name in settings.order[capability]:
        provider_settings = settings.providers.get(name)
        if provider_settings is None or not provider_settings.enabled:
            continue
        if capability not in PROVIDER_CAPABILITIES[name]:
            continue
        model = models.get(name) or provider_settings.model_for(capability)
        chosen.append((LazyProvider(name, capability, provider_settings, model), provider_settings))
    return chosen
