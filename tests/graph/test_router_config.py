"""Tests for the router's settings: built-in defaults, then reelforge.toml, then the environment."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph.config_file import config_path
from graph.router_config import load_router_settings
from state.model_settings import DEFAULT_ORDER, DEFAULT_PRICES, PREMIUM_PRICE, Price
from tools.errors import BadInput


def with_file(tmp_path: Path, text: str, **env: str) -> dict[str, str]:
    """Write a reelforge.toml and return an environ that points REELFORGE_CONFIG at it."""
    path = tmp_path / "conf" / "reelforge.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return {"REELFORGE_CONFIG": str(path), **env}


def bad_input(home: Path, environ: dict[str, str]) -> str:
    with pytest.raises(BadInput) as caught:
        load_router_settings(home, environ=environ)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- config_path ------------------------------------------------------------------------------------


def test_config_path_is_none_without_any_file(home: Path):
    assert config_path(home, {}) is None


def test_config_path_finds_the_home_file_then_prefers_the_working_directory(home: Path):
    (home / "reelforge.toml").write_text("")
    assert config_path(home, {}) == home / "reelforge.toml"
    (Path.cwd() / "reelforge.toml").write_text("")
    assert config_path(home, {}) == Path.cwd() / "reelforge.toml"


def test_config_path_prefers_reelforge_config(home: Path, tmp_path: Path):
    (home / "reelforge.toml").write_text("")
    environ = with_file(tmp_path, "")
    assert config_path(home, environ) == Path(environ["REELFORGE_CONFIG"])


def test_reelforge_config_naming_a_missing_file_is_bad_input(home: Path, tmp_path: Path):
    missing = tmp_path / "nope" / "reelforge.toml"
    with pytest.raises(BadInput, match="REELFORGE_CONFIG") as caught:
        config_path(home, {"REELFORGE_CONFIG": str(missing)})
    assert str(missing) in str(caught.value)
    message = bad_input(home, {"REELFORGE_CONFIG": str(missing)})
    assert "does not exist" in message


# --- defaults ---------------------------------------------------------------------------------------


def test_defaults_with_an_empty_environment(home: Path):
    settings = load_router_settings(home, environ={})
    providers = settings.providers
    assert set(providers) == {
        "ollama",
        "openai_compatible",
        "comfyui",
        "coqui",
        "huggingface",
        "openai",
        "groq",
        "openverse",
        "commons",
        "pexels",
        "pixabay",
        "pollinations_text",
        "pollinations_image",
        "pollinations_speech",
        "offline",
    }
    # Self-hosted servers at localhost are tried, but were not set up by the user.
    for name, url in (
        ("ollama", "http://localhost:11434"),
        ("comfyui", "http://localhost:8188"),
        ("coqui", "http://localhost:5002"),
    ):
        assert providers[name].enabled is True, name
        assert providers[name].explicit is False, name
        assert providers[name].url == url
    # Cloud providers and stock media need a key, a generic OpenAI-compatible server needs a URL.
    for name in ("huggingface", "openai", "groq", "openai_compatible", "pexels", "pixabay"):
        assert providers[name].enabled is False, name
        assert providers[name].explicit is False, name
        assert providers[name].api_key is None, name
    assert providers["offline"].enabled is True
    assert providers["offline"].explicit is True
    assert providers["comfyui"].family == "sdxl"
    assert settings.order == DEFAULT_ORDER
    assert settings.prices == DEFAULT_PRICES
    assert settings.premium == PREMIUM_PRICE
    assert settings.aliases == {}
    assert settings.secrets() == []


def test_empty_environment_values_are_ignored(home: Path):
    settings = load_router_settings(home, environ={"OLLAMA_HOST": "", "OPENAI_API_KEY": ""})
    assert settings.providers["ollama"].explicit is False
    assert settings.providers["openai"].enabled is False


# --- the environment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("gpu:11434", "http://gpu:11434"),
        ("gpu", "http://gpu:11434"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("http://gpu:9999/", "http://gpu:9999"),
        ("  https://ollama.example:443  ", "https://ollama.example:443"),
    ],
)
def test_ollama_host_is_normalised(home: Path, host: str, url: str):
    ollama = load_router_settings(home, environ={"OLLAMA_HOST": host}).providers["ollama"]
    assert ollama.url == url
    assert ollama.explicit is True
    assert ollama.enabled is True


def test_ollama_host_with_a_path_keeps_the_path(home: Path):
    url = load_router_settings(home, environ={"OLLAMA_HOST": "http://gpu/ollama"}).providers["ollama"].url
    assert urlsplit(url).path == "/ollama"
    assert urlsplit(url).hostname == "gpu"


def test_environment_variables_set_up_providers(home: Path):
    environ = {
        "OLLAMA_MODEL": "llama3.1:8b",
        "COMFYUI_URL": "http://gpu:8188/",
        "COMFYUI_CHECKPOINT": "flux1-schnell.safetensors",
        "COMFYUI_FAMILY": "flux",
        "COQUI_SPEAKER": "p225",
        "OPENAI_API_KEY": "sk-test-openai-0123456789",
        "HF_TOKEN": "hf_testtoken0123456789",
        "GROQ_API_KEY": "gsk_testkey0123456789",
        "OPENAI_COMPATIBLE_URL": "vllm:8000/v1",
        "OPENAI_COMPATIBLE_MODEL": "mistral",
    }
    providers = load_router_settings(home, environ=environ).providers
    assert providers["ollama"].explicit is True
    assert providers["ollama"].text_model == "llama3.1:8b"
    assert providers["ollama"].url == "http://localhost:11434"
    assert providers["comfyui"].url == "http://gpu:8188"
    assert providers["comfyui"].image_model == "flux1-schnell.safetensors"
    assert providers["comfyui"].family == "flux"
    assert providers["coqui"].voice == "p225"
    assert providers["coqui"].explicit is True
    for name, key in (
        ("openai", "sk-test-openai-0123456789"),
        ("huggingface", "hf_testtoken0123456789"),
        ("groq", "gsk_testkey0123456789"),
    ):
        assert providers[name].enabled is True, name
        assert providers[name].explicit is True, name
        assert providers[name].api_key is not None
        assert providers[name].api_key.get_secret_value() == key
    assert providers["openai_compatible"].enabled is True
    assert providers["openai_compatible"].url == "http://vllm:8000/v1"
    assert providers["openai_compatible"].text_model == "mistral"


def test_api_keys_never_appear_in_repr_or_str(home: Path):
    keys = {
        "OPENAI_API_KEY": "sk-live-Zk3v9QwErTy7uIoP",
        "HF_TOKEN": "hf_Zk3v9QwErTy7uIoPaSdF",
        "GROQ_API_KEY": "gsk_Zk3v9QwErTy7uIoPlKj",
        "OPENAI_COMPATIBLE_URL": "http://vllm:8000/v1",
        "OPENAI_COMPATIBLE_API_KEY": "vllm-secret-Zk3v9QwErTy",
    }
    settings = load_router_settings(home, environ=keys)
    shown = repr(settings) + str(settings) + repr(settings.providers) + str(settings.model_dump())
    for name, value in keys.items():
        if name.endswith(("_KEY", "_TOKEN")):
            assert value not in shown, name
    assert sorted(settings.secrets()) == sorted(v for k, v in keys.items() if k.endswith(("_KEY", "_TOKEN")))


def test_a_bad_family_from_the_environment_is_bad_input(home: Path):
    message = bad_input(home, {"COMFYUI_FAMILY": "sd15"})
    assert "comfyui" in message
    assert "sd15" in message


# --- reelforge.toml ---------------------------------------------------------------------------------

FILE = """
[router]
gpu_usd_per_hour = 0.5
failures_before_cooldown = 5
failure_window_s = 30
cooldown_s = 600

[router.order]
text = ["openai", "ollama", "offline"]

[providers.ollama]
url = "http://filehost:11434"
text_model = "qwen3:32b"
timeout_s = 200

[providers.openai]
api_key = "sk-from-file-0123456789"
text_model = "gpt-4o"

[providers.comfyui]
enabled = false

[aliases.quality]
ollama = "qwen3:32b"
openai = "gpt-4o"

[prices.openai]
text_in_per_mtok = 2.5
text_out_per_mtok = 10.0

[prices.premium]
per_image = 0.12
"""


def test_the_file_overrides_the_defaults(home: Path, tmp_path: Path):
    settings = load_router_settings(home, environ=with_file(tmp_path, FILE))
    ollama = settings.providers["ollama"]
    assert (ollama.url, ollama.text_model, ollama.timeout_s, ollama.explicit) == (
        "http://filehost:11434",
        "qwen3:32b",
        200.0,
        True,
    )
    openai = settings.providers["openai"]
    assert openai.enabled is True
    assert openai.api_key is not None and openai.api_key.get_secret_value() == "sk-from-file-0123456789"
    assert openai.text_model == "gpt-4o"
    assert openai.image_model == "dall-e-3"  # untouched fields keep their defaults
    assert settings.providers["comfyui"].enabled is False
    assert settings.providers["comfyui"].explicit is True
    assert settings.providers["coqui"].explicit is False


def test_router_keys_aliases_and_prices_load(home: Path, tmp_path: Path):
    settings = load_router_settings(home, environ=with_file(tmp_path, FILE))
    assert settings.gpu_usd_per_hour == 0.5
    assert settings.failures_before_cooldown == 5
    assert settings.failure_window_s == 30.0
    assert settings.cooldown_s == 600.0
    assert settings.order["text"] == ["openai", "ollama", "offline"]
    assert settings.order["image"] == DEFAULT_ORDER["image"]  # unnamed capabilities keep the default order
    assert settings.aliases == {"quality": {"ollama": "qwen3:32b", "openai": "gpt-4o"}}
    assert settings.prices["openai"] == Price(text_in_per_mtok=2.5, text_out_per_mtok=10.0)
    assert settings.prices["groq"] == DEFAULT_PRICES["groq"]  # other prices keep their defaults
    assert "premium" not in settings.prices
    assert settings.premium == Price(per_image=0.12)


def test_the_environment_overrides_the_file(home: Path, tmp_path: Path):
    environ = with_file(
        tmp_path, FILE, OLLAMA_HOST="envhost", OLLAMA_MODEL="llama3", OPENAI_API_KEY="sk-from-env-0123456789"
    )
    settings = load_router_settings(home, environ=environ)
    assert settings.providers["ollama"].url == "http://envhost:11434"
    assert settings.providers["ollama"].text_model == "llama3"
    assert settings.providers["ollama"].timeout_s == 200.0  # the file still sets what the env does not
    key = settings.providers["openai"].api_key
    assert key is not None and key.get_secret_value() == "sk-from-env-0123456789"


def test_the_home_file_is_read_without_reelforge_config(home: Path):
    (home / "reelforge.toml").write_text('[providers.coqui]\nurl = "http://tts:5002"\n')
    coqui = load_router_settings(home, environ={}).providers["coqui"]
    assert coqui.url == "http://tts:5002"
    assert coqui.explicit is True


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[videos]\nfps = 30\n", ["unknown section", "[videos]"]),
        ("[router]\ncooldown = 10\n", ["unknown key", "'cooldown'", "[router]"]),
        ("[providers.ollamma]\nurl = 'x'\n", ["unknown provider", "[providers.ollamma]"]),
        ("[providers.ollama]\nurll = 'http://gpu'\n", ["[providers.ollama]", "urll"]),
        ("[providers.comfyui]\nfamily = 'sd15'\n", ["[providers.comfyui]", "family", "sd15"]),
        ("[providers.ollama]\ntimeout_s = 0\n", ["[providers.ollama]", "timeout_s"]),
        ("[router.order]\ntext = ['comfyui', 'offline']\n", ["'comfyui' cannot serve text"]),
        ("[router.order]\nvideo = ['offline']\n", ["unknown capability 'video'"]),
        ("[router]\ngpu_usd_per_hour = 'cheap'\n", ["gpu_usd_per_hour"]),
        ("[prices.openai]\nper_imag = 0.1\n", ["prices.openai.per_imag"]),
        ("[router\n", ["not valid TOML", "line 1"]),
        ("[providers.ollama]\nurl = 'a'\nurl = 'b'\n", ["not valid TOML"]),
    ],
)
def test_bad_files_are_bad_input_naming_the_problem(home: Path, tmp_path: Path, text: str, names: list[str]):
    environ = with_file(tmp_path, text)
    message = bad_input(home, environ)
    assert environ["REELFORGE_CONFIG"] in message
    for name in names:
        assert name in message


@pytest.mark.parametrize(
    "text",
    ["[providers]\nollama = 'http://gpu:11434'\n", "router = 5\n", "providers = 5\n", "prices = 1\n"],
)
def test_a_value_where_a_table_belongs_is_bad_input(home: Path, tmp_path: Path, text: str):
    bad_input(home, with_file(tmp_path, text))


def test_a_file_that_is_not_utf8_is_bad_input(home: Path, tmp_path: Path):
    environ = with_file(tmp_path, "")
    Path(environ["REELFORGE_CONFIG"]).write_bytes(b"[router]\ngpu_usd_per_hour = 0.1 # \xff\xfe\n")
    assert "cannot read" in bad_input(home, environ)
