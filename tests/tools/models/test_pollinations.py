"""Pollinations in the free tier: each capability answers through the router at no cost, sends no key, and
a 429, a hang or media that does not decode hands the call on; one switch turns the whole free tier off.

The real providers (the openai SDK through ChatOpenAI, httpx) talk to tests/servers/pollinations.py.
"""

from __future__ import annotations

import io
import time
import wave
from pathlib import Path

import pytest
from PIL import Image
from pydantic import BaseModel

from graph.router_config import load_router_settings
from state import ImageRequest, SpeechRequest, TextRequest
from state.model_calls import TIER_RANK
from state.model_settings import DEFAULT_ORDER, PROVIDER_TIERS, RouterSettings
from tests.servers.open_media import OpenverseServer
from tests.servers.pollinations import PollinationsImageServer, PollinationsTextServer
from tools.errors import BadInput
from tools.models.cooldown import Cooldowns
from tools.models.failures import ProviderError
from tools.models.pollinations import PollinationsImage, PollinationsSpeech, PollinationsText
from tools.models.registry import providers_for
from tools.models.router import Router, Slot
from tools.models.service import ModelRouter
from tools.storage.sqlite_ledger import UsageLedger

TIMEOUT_S = 1.0
OTHER_KEY = "sk-meant-for-openai-not-for-pollinations-0123"
NAMES = {"text": "pollinations_text", "image": "pollinations_image", "speech": "pollinations_speech"}


class Answer(BaseModel):
    word: str


TEXT = TextRequest("Answer in JSON.", "say a word", Answer, offline=lambda: {"word": "offline"})
IMAGE = ImageRequest(
    "a lighthouse on a cliff at dusk", 180, 320, offline=lambda: _png(180, 320), seed=7, query="lighthouse"
)
SPEECH = SpeechRequest("Lighthouses guided ships for centuries.", offline=lambda: _wav())


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "gray").save(out, "PNG")
    return out.getvalue()


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(22050)
        handle.writeframes(b"\x00\x00" * 22050)
    return out.getvalue()


CALLS = {
    "text": lambda models: models.text(TEXT, "write_script"),
    "image": lambda models: models.image(IMAGE, "make_scene"),
    "speech": lambda models: models.speech(SPEECH, "make_scene"),
}


@pytest.fixture(scope="module")
def servers():
    text, image = PollinationsTextServer(), PollinationsImageServer()
    for server in (text, image):
        server.hang_s = TIMEOUT_S * 3
        server.start()
    yield {"text": text, "image": image}
    for server in (text, image):
        server.stop()


@pytest.fixture
def servers_fresh(servers):
    for server in servers.values():
        server.heal()
        server.requests.clear()
        server.garbage = False
    text, image = servers["text"], servers["image"]
    text.default_reply, text.bodies, text.spoken = '{"word": "free"}', [], []
    image.prompts, image.params = [], []
    return servers


def _env(servers, tmp_path: Path, toml: str = "", **extra: str) -> dict[str, str]:
    config = tmp_path / "reelforge.toml"
    config.write_text(
        f"""
[router]
order = {{ text = ["pollinations_text", "offline"], image = ["pollinations_image", "offline"], \
speech = ["pollinations_speech", "offline"] }}
{toml}
[providers.pollinations_text]
timeout_s = {TIMEOUT_S}
retries = 0

[providers.pollinations_image]
timeout_s = {TIMEOUT_S}
retries = 0

[providers.pollinations_speech]
timeout_s = {TIMEOUT_S}
retries = 0
"""
    )
    return {
        "REELFORGE_CONFIG": str(config),
        "POLLINATIONS_TEXT_URL": f"{servers['text'].url}/openai",
        "POLLINATIONS_IMAGE_URL": servers["image"].url,
        "POLLINATIONS_SPEECH_URL": servers["text"].url,
        **extra,
    }


def _models(servers, tmp_path: Path, toml: str = "", **extra: str) -> ModelRouter:
    settings = load_router_settings(tmp_path, environ=_env(servers, tmp_path, toml, **extra))
    return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-free")


# --- each capability through the router ---------------------------------------------------------------


@pytest.mark.parametrize("capability", ["text", "image", "speech"])
def test_each_capability_answers_in_the_free_tier_at_no_cost(
    servers_fresh, tmp_path, monkeypatch, capability
):
    # A key set for another provider must never reach a third party.
    monkeypatch.setenv("OPENAI_API_KEY", OTHER_KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-not-for-pollinations")
    models = _models(servers_fresh, tmp_path)

    routed = CALLS[capability](models)

    assert (routed.provider, routed.tier, routed.degraded) == (NAMES[capability], "free", None)
    (record,) = models.usage()
    assert record.ok and record.provider == NAMES[capability] and record.tier == "free"
    assert record.cost_usd == 0.0, "the free tier costs nothing"
    # No paid provider stands in this chain (the OpenAI key is only in the process's environment), so
    # nothing was saved versus premium: tests/tools/models/test_savings.py has the chain with one.
    assert record.premium_usd == 0.0, "and saves nothing: no premium tier was a real alternative"
    for server in servers_fresh.values():
        assert server.credentials_seen() == []
        assert all(OTHER_KEY not in str(request.headers) for request in server.requests)


def test_text_is_an_openai_chat_completion_kept_private(servers_fresh, tmp_path):
    routed = _models(servers_fresh, tmp_path).text(TEXT, "write_script")
    assert routed.answer.data == {"word": "free"}
    assert (routed.answer.tokens_in, routed.answer.tokens_out) == (21, 7)
    (body,) = servers_fresh["text"].bodies
    assert body["model"] == "openai" and body["private"] is True
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == "say a word"


def test_image_is_a_get_with_the_documented_parameters(servers_fresh, tmp_path):
    routed = _models(servers_fresh, tmp_path).image(IMAGE, "make_scene")
    with Image.open(io.BytesIO(routed.answer.data)) as image:
        assert image.format == "PNG" and image.size == (180, 320)
    image_server = servers_fresh["image"]
    assert image_server.prompts == ["a lighthouse on a cliff at dusk"]
    (params,) = image_server.params
    assert params == {
        "width": "180",
        "height": "320",
        "seed": "7",
        "model": "flux",
        "nologo": "true",
        "private": "true",
    }


def test_speech_is_the_narration_spoken_as_mp3_then_a_wav(servers_fresh, tmp_path):
    routed = _models(servers_fresh, tmp_path).speech(SPEECH, "make_scene")
    assert routed.answer.content_type == "audio/wav" and routed.answer.audio_s > 1.0
    assert servers_fresh["text"].spoken == [SPEECH.text]
    (request,) = [r for r in servers_fresh["text"].requests if r.query.get("model") == ["openai-audio"]]
    assert request.query["voice"] == ["alloy"] and request.query["private"] == ["true"]


# --- failures hand the call on ------------------------------------------------------------------------


def _router(models: ModelRouter, capability: str, slept: list[float]) -> Router:
    settings = models.settings
    slots = [Slot(p, s, None) for p, s in providers_for(settings, capability)]
    return Router(
        slots,
        ledger=models.ledger,
        cooldowns=Cooldowns(5, 60, 60),
        premium=settings.premium,
        gpu_usd_per_hour=0.0,
        run_id="run-free",
        sleep=slept.append,
    )


@pytest.mark.parametrize("capability", ["text", "image", "speech"])
def test_a_429_waits_its_retry_after_then_answers(servers_fresh, tmp_path, capability):
    server = servers_fresh["image" if capability == "image" else "text"]
    server.fail("429", times=1)
    models = _models(servers_fresh, tmp_path)
    models.settings.providers[NAMES[capability]].retries = 1
    slept: list[float] = []
    request = {"text": TEXT, "image": IMAGE, "speech": SPEECH}[capability]

    routed = _router(models, capability, slept).call(request, "make_scene")

    assert routed.provider == NAMES[capability]
    assert slept == [1.0], "waited what Retry-After said"
    assert [(r.ok, r.error_class) for r in models.usage()] == [(False, "rate_limited"), (True, "")]


@pytest.mark.parametrize("capability", ["text", "image", "speech"])
def test_a_hang_times_out_and_the_call_moves_on(servers_fresh, tmp_path, capability):
    servers_fresh["image" if capability == "image" else "text"].fail("hang", times=1)
    models = _models(servers_fresh, tmp_path)
    started = time.monotonic()

    routed = CALLS[capability](models)

    assert time.monotonic() - started < TIMEOUT_S * 2.5
    assert routed.tier == "offline"
    assert [f.split(":")[0] for f in routed.failures] == [f"{NAMES[capability]} (free)"]
    assert "timeout" in routed.failures[0] and routed.degraded
    assert [(r.provider, r.error_class, r.cost_usd) for r in models.usage()][0] == (
        NAMES[capability],
        "timeout",
        0.0,
    )


@pytest.mark.parametrize(
    ("capability", "how", "kind"),
    [
        ("image", "garbage", "bad_content"),
        ("image", "truncated", "bad_content"),
        ("image", "wrong_type", "bad_content"),
        ("speech", "garbage", "bad_content"),
        ("speech", "wrong_type", "bad_content"),
        ("speech", "empty", "empty"),
        ("text", "malformed", "malformed"),
        ("text", "empty", "empty"),
    ],
)
def test_an_answer_that_does_not_decode_moves_on(servers_fresh, tmp_path, capability, how, kind):
    server = servers_fresh["image" if capability == "image" else "text"]
    if how == "garbage":
        server.garbage = True
    else:
        server.fail(how, times=None)
    models = _models(servers_fresh, tmp_path)

    routed = CALLS[capability](models)

    assert routed.tier == "offline"
    failed = [r for r in models.usage() if not r.ok]
    assert failed and {r.error_class for r in failed} == {kind}, [(r.error_class, r.error) for r in failed]


def test_nothing_listening_is_refused_fast():
    from tests.servers.harness import refused_url

    started = time.monotonic()
    for provider, request in (
        (PollinationsText(f"{refused_url()}/openai", timeout_s=5), TEXT),
        (PollinationsImage(refused_url(), timeout_s=5), IMAGE),
        (PollinationsSpeech(refused_url(), timeout_s=5), SPEECH),
    ):
        with pytest.raises(ProviderError) as error:
            provider.call(request)
        assert error.value.kind == "refused"
    assert time.monotonic() - started < 3


def test_the_default_public_hosts_are_skipped_without_a_wait(tmp_path):
    """Not set up by the user, they are tried only when something answers there (the router's probe)."""
    settings = load_router_settings(tmp_path, environ={})
    models = ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-probe")
    router = models.router("speech")
    router._reachable = lambda url: False  # the public host does not answer from here
    slot = next(s for s in router.slots if s.provider.name == "pollinations_speech")
    assert slot.settings.explicit is False
    assert router._usable(slot) is False


# --- health checks ------------------------------------------------------------------------------------


def test_health_checks_read_the_documented_model_lists(servers_fresh):
    text_url, image_url = servers_fresh["text"].url, servers_fresh["image"].url
    text = PollinationsText(f"{text_url}/openai").check()
    assert text.healthy and "openai" in text.models, text.error
    assert PollinationsImage(image_url).check().healthy
    assert PollinationsSpeech(text_url).check().healthy
    missing = PollinationsImage(image_url, model="no-such-model").check()
    assert not missing.healthy and "no-such-model" in missing.error
    servers_fresh["image"].fail("500")
    assert not PollinationsImage(image_url).check().healthy


# --- settings -----------------------------------------------------------------------------------------


def test_defaults_sit_after_cloud_and_before_offline(tmp_path):
    for capability, names in DEFAULT_ORDER.items():
        ranks = [TIER_RANK[PROVIDER_TIERS[name]] for name in names]
        assert ranks == sorted(ranks), capability
        assert NAMES[capability] in names and names[-1] == "offline"
    providers = load_router_settings(tmp_path, environ={}).providers
    assert providers["pollinations_text"].url == "https://text.pollinations.ai/openai"
    assert providers["pollinations_image"].url == "https://image.pollinations.ai"
    assert providers["pollinations_speech"].url == "https://text.pollinations.ai"
    for name in NAMES.values():
        assert providers[name].enabled and not providers[name].explicit and providers[name].api_key is None
        assert providers[name].concurrency == 1, "the anonymous tier takes one request at a time"


def test_urls_come_from_the_environment_and_models_from_the_file(tmp_path):
    config = tmp_path / "reelforge.toml"
    config.write_text(
        '[providers.pollinations_image]\nimage_model = "turbo"\n'
        '[providers.pollinations_speech]\nvoice = "nova"\n'
    )
    providers = load_router_settings(
        tmp_path,
        environ={
            "REELFORGE_CONFIG": str(config),
            "POLLINATIONS_TEXT_URL": "http://mirror:8080/openai/",
            "POLLINATIONS_SPEECH_URL": "tts.local:9000",
        },
    ).providers
    assert providers["pollinations_text"].url == "http://mirror:8080/openai"
    assert providers["pollinations_text"].explicit
    assert providers["pollinations_speech"].url == "http://tts.local:9000"
    assert providers["pollinations_speech"].voice == "nova"
    assert providers["pollinations_image"].image_model == "turbo" and providers["pollinations_image"].explicit


def _free_enabled(settings: RouterSettings) -> dict[str, bool]:
    return {n: p.enabled for n, p in settings.providers.items() if PROVIDER_TIERS[n] == "free"}


@pytest.mark.parametrize(
    ("toml", "env", "on"),
    [
        ("", {}, True),
        ("[router]\nthird_party_free = false\n", {}, False),
        ("", {"REELFORGE_THIRD_PARTY_FREE": "off"}, False),
        ("", {"REELFORGE_THIRD_PARTY_FREE": " No "}, False),
        ("[router]\nthird_party_free = false\n", {"REELFORGE_THIRD_PARTY_FREE": "on"}, True),
        ("[router]\nthird_party_free = true\n", {"REELFORGE_THIRD_PARTY_FREE": "0"}, False),
    ],
)
def test_one_switch_turns_every_free_provider_off(tmp_path, toml, env, on):
    config = tmp_path / "reelforge.toml"
    config.write_text(toml + '[providers.openverse]\nurl = "http://127.0.0.1:9"\n')
    settings = load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config), **env})
    assert settings.third_party_free is on
    free = _free_enabled(settings)
    # By tier, not by name: whatever joins the free tier is covered.
    keyless = {"openverse", "commons", *NAMES.values()}
    assert set(free) >= keyless
    assert {free[name] for name in keyless} == {on}
    if not on:
        assert not any(free.values()), "every provider of the free tier is off, keyed ones included"
    assert settings.providers["offline"].enabled and settings.providers["ollama"].enabled


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("", {"REELFORGE_THIRD_PARTY_FREE": "maybe"}, "REELFORGE_THIRD_PARTY_FREE='maybe' must be on or off"),
        ('[router]\nthird_party_free = "no"\n', {}, "[router] third_party_free must be true or false"),
    ],
)
def test_a_bad_switch_is_one_line_naming_it(tmp_path, toml, env, needle):
    config = tmp_path / "reelforge.toml"
    config.write_text(toml)
    with pytest.raises(BadInput) as caught:
        load_router_settings(tmp_path, environ={"REELFORGE_CONFIG": str(config), **env})
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_with_the_switch_off_no_free_provider_is_built_or_called(servers_fresh, tmp_path):
    with OpenverseServer() as openverse:
        models = _models(
            servers_fresh,
            tmp_path,
            REELFORGE_THIRD_PARTY_FREE="off",
            OPENVERSE_URL=openverse.url,
        )
        for capability in ("text", "image", "speech"):
            assert [p.name for p, _ in providers_for(models.settings, capability)] == ["offline"]
        photos = ImageRequest("a glacier", 64, 64, offline=lambda: _png(64, 64), visuals="photos")
        routed = [CALLS["text"](models), CALLS["speech"](models), models.image(photos, "make_scene")]
        assert {r.tier for r in routed} == {"offline"}
        assert openverse.requests == []
    assert servers_fresh["text"].requests == [] and servers_fresh["image"].requests == []
    assert {r.provider for r in models.usage()} == {"offline"}
