"""The model router's settings: providers, their order per capability, aliases and prices (pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Every provider the router knows, with its tier and the capabilities it can serve.
PROVIDER_TIERS: dict[str, str] = {
    "ollama": "self-hosted",
    "openai_compatible": "self-hosted",
    "comfyui": "self-hosted",
    "coqui": "self-hosted",
    "huggingface": "cloud",
    "openai": "cloud",
    "groq": "cloud",
    "openverse": "free",
    "commons": "free",
    # Stock photos and clips, each with a free key (PEXELS_API_KEY, PIXABAY_API_KEY).
    "pexels": "free",
    "pixabay": "free",
    # Pollinations' keyless API: one provider per capability, since each has its own endpoint.
    "pollinations_text": "free",
    "pollinations_image": "free",
    "pollinations_speech": "free",
    "offline": "offline",
}
# The sources of real photographs and clips (a job's --visuals photos or clips asks for these first).
PHOTO_SOURCES: tuple[str, ...] = ("openverse", "commons", "pexels", "pixabay")
PROVIDER_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "ollama": ("text",),
    "openai_compatible": ("text",),
    "comfyui": ("image",),
    "coqui": ("speech",),
    "huggingface": ("text", "image", "speech"),
    "openai": ("text", "image", "speech"),
    "groq": ("text",),
    "openverse": ("image",),
    "commons": ("image",),
    "pexels": ("image",),
    "pixabay": ("image",),
    "pollinations_text": ("text",),
    "pollinations_image": ("image",),
    "pollinations_speech": ("speech",),
    "offline": ("text", "image", "speech"),
}
DEFAULT_ORDER: dict[str, list[str]] = {
    "text": ["ollama", "openai_compatible", "huggingface", "openai", "groq", "pollinations_text", "offline"],
    "image": [
        "comfyui",
        "huggingface",
        "openai",
        "openverse",
        "commons",
        "pexels",
        "pixabay",
        "pollinations_image",
        "offline",
    ],
    "speech": ["coqui", "huggingface", "openai", "pollinations_speech", "offline"],
}


class Price(BaseModel):
    """What one provider charges, in US dollars."""

    model_config = ConfigDict(extra="forbid")

    text_in_per_mtok: float = 0.0
    text_out_per_mtok: float = 0.0
    per_image: float = 0.0
    speech_per_minute: float = 0.0


# List prices for the default cloud models (USD), used unless reelforge.toml says otherwise.
DEFAULT_PRICES: dict[str, Price] = {
    "openai": Price(text_in_per_mtok=0.15, text_out_per_mtok=0.60, per_image=0.04, speech_per_minute=0.015),
    "groq": Price(text_in_per_mtok=0.59, text_out_per_mtok=0.79),
    # The HF Inference free tier; set prices here if you pay for PRO or Inference Providers.
    "huggingface": Price(),
}
# What the premium tier (GPT-4o, DALL-E 3 HD, OpenAI TTS) would have charged: the baseline for "savings".
PREMIUM_PRICE = Price(text_in_per_mtok=2.50, text_out_per_mtok=10.0, per_image=0.08, speech_per_minute=0.015)


class ProviderSettings(BaseModel):
    """One provider: where it is, its key, its model per capability, and how patiently to call it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    url: str = ""
    api_key: SecretStr | None = None
    text_model: str = ""
    image_model: str = ""
    speech_model: str = ""
    # The speaker or voice the speech model uses (Coqui speaker id, OpenAI voice).
    voice: str = ""
    language: str = ""
    # ComfyUI's workflow family for image_model: flux, sdxl or sd35.
    family: str = "sdxl"
    # Where Hugging Face checks a token (its Hub), when that is not https://huggingface.co.
    hub_url: str = ""
    timeout_s: float = Field(default=60.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    backoff_s: float = Field(default=0.5, ge=0)
    concurrency: int = Field(default=5, ge=1, le=256)
    # True when the user set this provider up (an env var or reelforge.toml); False for a built-in default
    # such as Ollama on localhost:11434, which is used when it answers but never makes a run "degraded".
    explicit: bool = False

    @field_validator("family")
    @classmethod
    def _family(cls, value: str) -> str:
        if value not in ("flux", "sdxl", "sd35"):
            raise ValueError(f"unknown ComfyUI family '{value}'; choose flux, sdxl or sd35")
        return value

    def model_for(self, capability: str) -> str:
        """The model this provider uses for `capability`."""
        return {"text": self.text_model, "image": self.image_model, "speech": self.speech_model}[capability]


class RouterSettings(BaseModel):
    """Everything the router reads from reelforge.toml and the environment."""

    model_config = ConfigDict(extra="forbid")

    order: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ORDER.items()}
    )
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    # alias → provider → model, e.g. quality = {ollama = "qwen3:32b", openai = "gpt-4o"}.
    aliases: dict[str, dict[str, str]] = Field(default_factory=dict)
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    premium: Price = Field(default_factory=lambda: PREMIUM_PRICE.model_copy())
    # Self-hosted calls are charged by the GPU's hourly cost times their wall time.
    gpu_usd_per_hour: float = Field(default=0.20, ge=0)
    failures_before_cooldown: int = Field(default=3, ge=1)
    failure_window_s: float = Field(default=60.0, gt=0)
    cooldown_s: float = Field(default=120.0, ge=0)
    # False turns off every provider of the "free" tier: they send prompts to third parties.
    third_party_free: bool = True

    @field_validator("order")
    @classmethod
    def _order(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for capability, names in value.items():
            if capability not in DEFAULT_ORDER:
                raise ValueError(
                    f"unknown capability '{capability}' in [router.order]; use text, image or speech"
                )
            for name in names:
                if capability not in PROVIDER_CAPABILITIES.get(name, ()):
                    able = [p for p, caps in PROVIDER_CAPABILITIES.items() if capability in caps]
                    raise ValueError(
                        f"'{name}' cannot serve {capability} in [router.order]; choose from {', '.join(able)}"
                    )
        return {**{k: list(v) for k, v in DEFAULT_ORDER.items()}, **value}

    def secrets(self) -> list[str]:
        """Every configured key, for the log redactor."""
        return [p.api_key.get_secret_value() for p in self.providers.values() if p.api_key is not None]
