"""Read the model router's settings: built-in defaults, then reelforge.toml, then the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, ValidationError

from graph.config_file import read_config, where
from state.model_settings import PROVIDER_TIERS, ProviderSettings, RouterSettings
from tools.errors import BadInput

# Built-in defaults. Self-hosted servers have a default URL (used when they answer); cloud ones need a key.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "ollama": {"url": "http://localhost:11434", "text_model": "qwen3:8b", "timeout_s": 120.0},
    "openai_compatible": {"text_model": "default", "timeout_s": 120.0},
    "comfyui": {
        "url": "http://localhost:8188",
        "image_model": "sd_xl_base_1.0.safetensors",
        "family": "sdxl",
        "timeout_s": 300.0,
    },
    "coqui": {"url": "http://localhost:5002", "timeout_s": 120.0},
    "huggingface": {
        "url": "https://router.huggingface.co/hf-inference",
        "text_model": "Qwen/Qwen2.5-7B-Instruct",
        "image_model": "black-forest-labs/FLUX.1-schnell",
        "speech_model": "facebook/mms-tts-eng",
    },
    "openai": {
        "url": "https://api.openai.com/v1",
        "text_model": "gpt-4o-mini",
        "image_model": "dall-e-3",
        "speech_model": "gpt-4o-mini-tts",
        "voice": "alloy",
    },
    "groq": {"url": "https://api.groq.com/openai/v1", "text_model": "llama-3.3-70b-versatile"},
    # Open media (no key): used when something answers there, like the self-hosted defaults.
    # Openverse takes each scene's search at once (up to 8 scenes: a burst its anonymous 20 a minute allows).
    "openverse": {
        "url": "https://api.openverse.org",
        "image_model": "openverse",
        "timeout_s": 20.0,
        "concurrency": 8,
    },
    "commons": {"url": "https://commons.wikimedia.org", "image_model": "commons", "timeout_s": 20.0},
    # Stock photos and clips: only with their free keys, like the cloud providers.
    "pexels": {"url": "https://api.pexels.com", "image_model": "pexels", "timeout_s": 20.0},
    "pixabay": {"url": "https://pixabay.com", "image_model": "pixabay", "timeout_s": 20.0},
    # Pollinations' anonymous API (no key), used when it answers. Its anonymous tier allows one request
    # at a time per address, hence a concurrency of 1. Speech is its text API's GET endpoint.
    "pollinations_text": {
        "url": "https://text.pollinations.ai/openai",
        "text_model": "openai",
        "timeout_s": 120.0,
        "concurrency": 1,
    },
    "pollinations_image": {
        "url": "https://image.pollinations.ai",
        "image_model": "flux",
        "timeout_s": 120.0,
        "concurrency": 1,
    },
    "pollinations_speech": {
        "url": "https://text.pollinations.ai",
        "speech_model": "openai-audio",
        "voice": "alloy",
        "timeout_s": 120.0,
        "concurrency": 1,
    },
    "offline": {"text_model": "offline-writer", "image_model": "cards", "speech_model": "local-voice"},
}

# provider → field → environment variable. Setting any of them marks the provider as set up by the user.
ENV_VARS: dict[str, dict[str, str]] = {
    "ollama": {"url": "OLLAMA_HOST", "text_model": "OLLAMA_MODEL"},
    "openai_compatible": {
        "url": "OPENAI_COMPATIBLE_URL",
        "api_key": "OPENAI_COMPATIBLE_API_KEY",
        "text_model": "OPENAI_COMPATIBLE_MODEL",
    },
    "comfyui": {"url": "COMFYUI_URL", "image_model": "COMFYUI_CHECKPOINT", "family": "COMFYUI_FAMILY"},
    "coqui": {"url": "COQUI_TTS_URL", "voice": "COQUI_SPEAKER"},
    "huggingface": {"url": "HF_INFERENCE_URL", "api_key": "HF_TOKEN", "hub_url": "HF_ENDPOINT"},
    "openai": {"url": "OPENAI_BASE_URL", "api_key": "OPENAI_API_KEY"},
    "groq": {"url": "GROQ_BASE_URL", "api_key": "GROQ_API_KEY"},
    "openverse": {"url": "OPENVERSE_URL"},
    "commons": {"url": "COMMONS_URL"},
    "pexels": {"url": "PEXELS_URL", "api_key": "PEXELS_API_KEY"},
    "pixabay": {"url": "PIXABAY_URL", "api_key": "PIXABAY_API_KEY"},
    "pollinations_text": {"url": "POLLINATIONS_TEXT_URL"},
    "pollinations_image": {"url": "POLLINATIONS_IMAGE_URL"},
    "pollinations_speech": {"url": "POLLINATIONS_SPEECH_URL"},
}
# Providers that are skipped unless they have a key (cloud) or a URL (a generic OpenAI-compatible server).
_NEEDS = {
    "openai_compatible": "url",
    "huggingface": "api_key",
    "openai": "api_key",
    "groq": "api_key",
    "pexels": "api_key",
    "pixabay": "api_key",
}
_ROUTER_KEYS = {
    "order",
    "gpu_usd_per_hour",
    "failures_before_cooldown",
    "failure_window_s",
    "cooldown_s",
    "third_party_free",
}
# The one switch for the whole free tier, over [router] third_party_free.
THIRD_PARTY_ENV = "REELFORGE_THIRD_PARTY_FREE"
_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")


def _first_error(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(part) for part in item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def setup_hint(name: str) -> str:
    """How a user sets provider `name` up, e.g. 'set HF_TOKEN' or 'set OLLAMA_HOST'."""
    variables = ENV_VARS.get(name, {})
    needed = _NEEDS.get(name, "url")
    variable = variables.get(needed) or variables.get("url")
    return f"set {variable}" if variable else "nothing to set up"


def _normalise_url(name: str, url: str) -> str:
    url = url.strip().rstrip("/")
    # OLLAMA_HOST is often "host:port" or a bare "gpu"; Ollama itself accepts both, on port 11434.
    if url and "://" not in url:
        url = f"http://{url}"
        if name == "ollama" and urlsplit(url).port is None:
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(netloc=f"{parts.netloc}:11434"))
    return url


def _table(value: Any, where: str, name: str) -> dict[str, Any]:
    """A TOML table as a dict; BadInput when the file has a plain value where a table belongs."""
    if not isinstance(value, dict):
        raise BadInput(f"{where}: {name} must be a table such as [{name}], not {type(value).__name__}")
    return dict(value)


def load_router_settings(home: Path, environ: Mapping[str, str] | None = None) -> RouterSettings:
    """The router's settings from the reelforge.toml in use and `environ` (default: the process's)."""
    env = os.environ if environ is None else environ
    path, document = read_config(home, env)
    return router_settings(document, where(path), env)


def third_party_free(router: Mapping[str, Any], where: str, env: Mapping[str, str]) -> bool:
    """Whether the free tier (prompts sent to third parties) is on: REELFORGE_THIRD_PARTY_FREE, else
    [router] third_party_free, else on."""
    if switch := env.get(THIRD_PARTY_ENV, "").strip().lower():
        if switch not in _OFF + _ON:
            raise BadInput(f"{THIRD_PARTY_ENV}={switch!r} must be on or off; fix it or unset it")
        return switch in _ON
    value = router.get("third_party_free", True)
    if not isinstance(value, bool):
        raise BadInput(f"{where}: [router] third_party_free must be true or false, not {value!r}")
    return value


def router_settings(document: Mapping[str, Any], where: str, env: Mapping[str, str]) -> RouterSettings:
    """Defaults, overlaid by the file's router tables, overlaid by `env`; BadInput names any bad key."""
    router = _table(document.get("router", {}), where, "router")
    if bad := set(router) - _ROUTER_KEYS:
        raise BadInput(
            f"{where}: unknown key '{sorted(bad)[0]}' in [router]; known: {', '.join(sorted(_ROUTER_KEYS))}"
        )
    router["third_party_free"] = free_tier = third_party_free(router, where, env)
    prices = _table(document.get("prices", {}), where, "prices")
    premium = prices.pop("premium", None)
    providers: dict[str, ProviderSettings] = {}
    file_providers = _table(document.get("providers", {}), where, "providers")
    if bad := set(file_providers) - set(_DEFAULTS):
        raise BadInput(
            f"{where}: unknown provider [providers.{sorted(bad)[0]}]; known: {', '.join(_DEFAULTS)}"
        )
    for name, defaults in _DEFAULTS.items():
        from_file = _table(file_providers.get(name, {}), where, f"providers.{name}")
        from_env = {field: env[var] for field, var in ENV_VARS.get(name, {}).items() if env.get(var)}
        fields: dict[str, Any] = {**defaults, **from_file, **from_env}
        fields["explicit"] = name == "offline" or bool(from_file or from_env)
        if fields.get("url"):
            fields["url"] = _normalise_url(name, fields["url"])
        if isinstance(fields.get("api_key"), str):
            fields["api_key"] = SecretStr(fields["api_key"])
        needed = _NEEDS.get(name)
        if needed and not fields.get(needed):
            fields["enabled"] = False
        # By tier, not by name: every source that sends the job's words to a third party for free.
        if not free_tier and PROVIDER_TIERS.get(name) == "free":
            fields["enabled"] = False
        try:
            providers[name] = ProviderSettings(**fields)
        except ValidationError as error:
            raise BadInput(f"{where}: [providers.{name}] {_first_error(error)}") from None
    settings: dict[str, Any] = {
        **router,
        "providers": providers,
        "aliases": _table(document.get("aliases", {}), where, "aliases"),
    }
    if prices:
        settings["prices"] = {**RouterSettings().prices, **prices}
    if premium:
        settings["premium"] = premium
    try:
        return RouterSettings(**settings)
    except ValidationError as error:
        raise BadInput(f"{where}: {_first_error(error)}") from None
