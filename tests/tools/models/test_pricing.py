"""Tests for pricing: list prices per call and the GPU-time share of self-hosted calls."""

from __future__ import annotations

import pytest

from state.model_settings import PREMIUM_PRICE, Price
from tools.models.pricing import gpu_cost, price_call


def test_text_tokens_are_priced_per_million():
    price = Price(text_in_per_mtok=2.50, text_out_per_mtok=10.0)
    # 1200 * 2.50 / 1e6 = 0.003; 800 * 10 / 1e6 = 0.008.
    assert price_call(price, tokens_in=1200, tokens_out=800) == pytest.approx(0.011)


def test_images_are_priced_each():
    assert price_call(Price(per_image=0.04), images=1) == pytest.approx(0.04)
    assert price_call(Price(per_image=0.04), images=3) == pytest.approx(0.12)


def test_speech_is_priced_per_minute():
    # 90 s = 1.5 min at $0.015/min.
    assert price_call(Price(speech_per_minute=0.015), audio_s=90) == pytest.approx(0.0225)


def test_a_call_using_everything_sums_each_part():
    cost = price_call(PREMIUM_PRICE, tokens_in=1200, tokens_out=800, images=1, audio_s=90)
    assert cost == pytest.approx(0.011 + 0.08 + 0.0225)


def test_no_usage_or_a_free_price_costs_nothing():
    assert price_call(PREMIUM_PRICE) == 0.0
    assert price_call(Price(), tokens_in=10_000, tokens_out=10_000, images=4, audio_s=600) == 0.0


def test_gpu_cost_is_the_wall_time_share_of_the_hourly_rate():
    # 90 s of a $0.20/h GPU: 0.20 * 90 / 3600.
    assert gpu_cost(90_000, 0.20) == pytest.approx(0.005)
    assert gpu_cost(3_600_000, 0.20) == pytest.approx(0.20)
    assert gpu_cost(0, 0.20) == 0.0
    assert gpu_cost(90_000, 0.0) == 0.0
