"""The model picker's data: every provider per capability in the router's order, its tier, its cost per
video from the price table (GPU time for self-hosted servers), FREE when it costs nothing, and health."""

from __future__ import annotations

import pytest

from graph.model_picker import picker_json, picker_options, video_cost, video_usage
from graph.router_config import router_settings
from state.model_settings import DEFAULT_ORDER, PROVIDER_TIERS
from tools.models.pricing import price_call


def _router(env: dict[str, str] | None = None, document: dict | None = None):
    return router_settings(document or {}, "reelforge.toml", env or {})


def test_every_provider_in_the_routers_order_with_its_tier():
    options = picker_options(_router())
    for capability, names in DEFAULT_ORDER.items():
        assert [o.provider for o in options[capability]] == names
        for option in options[capability]:
            assert option.tier == PROVIDER_TIERS[option.provider]
            assert option.capability == capability


def test_a_60_second_video_uses_a_picture_per_scene_and_a_minute_of_speech():
    usage = video_usage(60)
    assert (usage.images, usage.audio_s) == (8, 60.0)
    assert usage.tokens_in > 0 and usage.tokens_out > 0
    assert video_usage(10).images == 5  # never fewer scenes than the writer makes


def test_costs_come_from_the_price_table_and_free_ones_say_so():
    router = _router(
        {"OPENAI_API_KEY": "sk-test"},
        {"prices": {"openai": {"per_image": 0.1, "text_in_per_mtok": 1.0, "text_out_per_mtok": 2.0}}},
    )
    options = {(o.capability, o.provider): o for listed in picker_options(router).values() for o in listed}
    usage = video_usage()
    openai_image = options[("image", "openai")]
    assert openai_image.cost_usd == pytest.approx(0.1 * usage.images)
    assert not openai_image.free and openai_image.usable
    text = price_call(router.prices["openai"], tokens_in=usage.tokens_in, tokens_out=usage.tokens_out)
    assert options[("text", "openai")].cost_usd == pytest.approx(text, abs=1e-6)
    for capability in ("text", "image", "speech"):
        offline = options[(capability, "offline")]
        assert offline.free and offline.cost_usd == 0 and offline.usable
    # Hugging Face's free tier has no price; without HF_TOKEN it cannot be picked and says why.
    hf = options[("text", "huggingface")]
    assert hf.free and not hf.usable and hf.hint == "set HF_TOKEN"


def test_self_hosted_servers_cost_their_gpu_time():
    router = _router(document={"router": {"gpu_usd_per_hour": 3.6}})
    usage = video_usage()
    ollama = video_cost(router, "ollama", "text", usage)
    comfy = video_cost(router, "comfyui", "image", usage)
    assert 0 < ollama < comfy
    free_gpu = _router(document={"router": {"gpu_usd_per_hour": 0.0}})
    assert picker_options(free_gpu)["text"][0].free


def test_the_free_tier_switched_off_says_how_to_turn_it_on():
    router = _router({"REELFORGE_THIRD_PARTY_FREE": "off"})
    pollinations = next(o for o in picker_options(router)["text"] if o.provider == "pollinations_text")
    assert not pollinations.usable and "third_party_free" in pollinations.hint


def test_health_from_the_status_marks_each_provider_up_or_down():
    status = {
        "providers": [
            {"capability": "text", "provider": "ollama", "healthy": True},
            {"capability": "image", "provider": "comfyui", "healthy": False},
        ]
    }
    options = picker_options(_router(), status)
    assert options["text"][0].up is True
    assert options["image"][0].up is False
    assert options["speech"][0].up is None  # not in that status: unknown
    assert all(o.up is None for listed in picker_options(_router()).values() for o in listed)


def test_the_json_form_has_the_premium_baseline():
    data = picker_json(_router())
    assert set(data["capabilities"]) == {"text", "image", "speech"}
    assert data["premium_usd"]["image"] == pytest.approx(0.08 * data["usage"]["images"])
