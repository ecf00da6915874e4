"""The dashboard's model picker: each capability's providers with their tier and estimated cost per video."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from graph.router_config import setup_hint
from graph.third_party import OFF
from state.model_calls import CAPABILITIES
from state.model_settings import PROVIDER_TIERS, Price, RouterSettings
from tools.models.pricing import gpu_cost, price_call
from tools.text.outline_phrases import MAX_SCENES, MIN_SCENES

# An estimate of what one video asks of the text models: planning, the script with its facts, the critic
# and the metadata, with one revision (prompts of a few thousand tokens); the output grows with length.
TEXT_TOKENS_IN = 6000
TEXT_TOKENS_OUT_PER_S = 30
# A scene lasts about this long, within the writer's bounds (MIN_SCENES to MAX_SCENES).
SECONDS_PER_SCENE = 8
# GPU time a self-hosted server spends per video, for the price table's GPU-hour amortisation:
# an 8B model writes ~60 tokens/s, SDXL draws a picture in ~6 s, Coqui speaks ~4x faster than real time.
GPU_TEXT_TOKENS_PER_S = 60.0
GPU_S_PER_IMAGE = 6.0
GPU_SPEECH_REALTIME = 0.25
ESTIMATE_FOR_S = 60
LABELS: dict[str, str] = {
    "ollama": "Ollama",
    "openai_compatible": "OpenAI-compatible server",
    "comfyui": "ComfyUI",
    "coqui": "Coqui TTS",
    "huggingface": "Hugging Face",
    "openai": "OpenAI",
    "groq": "Groq",
    "openverse": "Openverse",
    "commons": "Wikimedia Commons",
    "pexels": "Pexels",
    "pixabay": "Pixabay",
    "pollinations_text": "Pollinations",
    "pollinations_image": "Pollinations",
    "pollinations_speech": "Pollinations",
}
OFFLINE_LABELS = {"text": "Offline writer", "image": "Offline cards", "speech": "Local voice"}


@dataclass(frozen=True)
class Usage:
    """What one video of a given length asks of each capability."""

    tokens_in: int
    tokens_out: int
    images: int
    audio_s: float


@dataclass(frozen=True)
class PickerOption:
    """One provider a capability can be asked of first, as the picker lists it."""

    capability: str
    provider: str
    label: str
    tier: str
    model: str
    cost_usd: float
    free: bool
    usable: bool
    # Healthy at the last status check (None: not checked).
    up: bool | None
    # Why it cannot be picked (not set up, switched off), else "".
    hint: str


def video_usage(duration_s: int = ESTIMATE_FOR_S) -> Usage:
    """The tokens, pictures and seconds of speech a video of `duration_s` seconds takes."""
    scenes = min(MAX_SCENES, max(MIN_SCENES, math.ceil(duration_s / SECONDS_PER_SCENE)))
    return Usage(TEXT_TOKENS_IN, TEXT_TOKENS_OUT_PER_S * duration_s, scenes, float(duration_s))


def _billed(price: Price, capability: str, usage: Usage) -> float:
    if capability == "text":
        return price_call(price, tokens_in=usage.tokens_in, tokens_out=usage.tokens_out)
    if capability == "image":
        return price_call(price, images=usage.images)
    return price_call(price, audio_s=usage.audio_s)


def _gpu_seconds(capability: str, usage: Usage) -> float:
    if capability == "text":
        return usage.tokens_out / GPU_TEXT_TOKENS_PER_S
    if capability == "image":
        return usage.images * GPU_S_PER_IMAGE
    return usage.audio_s * GPU_SPEECH_REALTIME


def video_cost(router: RouterSettings, provider: str, capability: str, usage: Usage) -> float:
    """What `provider` would charge for `capability` in one video: the price table for cloud providers,
    GPU-hour amortisation for self-hosted ones, nothing for the free and offline tiers."""
    tier = PROVIDER_TIERS[provider]
    if tier == "self-hosted":
        return gpu_cost(_gpu_seconds(capability, usage) * 1000, router.gpu_usd_per_hour)
    price = router.prices.get(provider)
    return _billed(price, capability, usage) if price is not None else 0.0


def premium_cost(router: RouterSettings, capability: str, usage: Usage) -> float:
    """What the premium tier would charge for `capability` in one video (the baseline for savings)."""
    return _billed(router.premium, capability, usage)


def _hint(router: RouterSettings, name: str) -> str:
    if PROVIDER_TIERS[name] == "free" and not router.third_party_free:
        return OFF
    return setup_hint(name)


def picker_options(
    router: RouterSettings, status: dict[str, Any] | None = None, duration_s: int = ESTIMATE_FOR_S
) -> dict[str, list[PickerOption]]:
    """Each capability's providers in the order calls try them, with tier, cost per video and FREE;
    `status` (Operations.providers()) adds whether each is up."""
    usage = video_usage(duration_s)
    health: dict[tuple[str, str], bool] = {}
    for row in (status or {}).get("providers", []):
        health[(row["capability"], row["provider"])] = bool(row["healthy"])
    options: dict[str, list[PickerOption]] = {}
    for capability in CAPABILITIES:
        listed = []
        for name in router.order[capability]:
            settings = router.providers.get(name)
            usable = settings is not None and settings.enabled
            cost = round(video_cost(router, name, capability, usage), 6)
            listed.append(
                PickerOption(
                    capability=capability,
                    provider=name,
                    label=OFFLINE_LABELS[capability] if name == "offline" else LABELS.get(name, name),
                    tier=PROVIDER_TIERS[name],
                    model=settings.model_for(capability) if settings is not None else "",
                    cost_usd=cost,
                    free=cost == 0.0,
                    usable=usable,
                    up=health.get((capability, name)) if status is not None else None,
                    hint="" if usable else _hint(router, name),
                )
            )
        options[capability] = listed
    return options


def picker_json(router: RouterSettings, status: dict[str, Any] | None = None) -> dict[str, Any]:
    """The picker as JSON: options per capability, the usage assumed, and the premium cost per capability."""
    usage = video_usage()
    return {
        "duration_s": ESTIMATE_FOR_S,
        "usage": asdict(usage),
        "premium_usd": {c: round(premium_cost(router, c, usage), 6) for c in CAPABILITIES},
        "capabilities": {
            capability: [asdict(option) for option in listed]
            for capability, listed in picker_options(router, status).items()
        },
    }
