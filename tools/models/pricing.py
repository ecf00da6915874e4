"""What a call cost, from the price table; self-hosted calls are charged by GPU time."""

from __future__ import annotations

from state.model_settings import Price


def price_call(
    price: Price, *, tokens_in: int = 0, tokens_out: int = 0, images: int = 0, audio_s: float = 0.0
) -> float:
    """The list price of one call's usage, in USD."""
    return (
        tokens_in * price.text_in_per_mtok / 1e6
        + tokens_out * price.text_out_per_mtok / 1e6
        + images * price.per_image
        + audio_s / 60 * price.speech_per_minute
    )


def gpu_cost(wall_ms: float, gpu_usd_per_hour: float) -> float:
    """A self-hosted call's share of the GPU's hourly cost, in USD."""
    return wall_ms / 3_600_000 * gpu_usd_per_hour


# Below half a hundredth of a cent, a saving rounds to nothing at four decimals.
_NOTHING = 0.00005


def savings_words(savings_usd: float) -> str:
    """The savings versus premium in words; never 'saved' when nothing was."""
    if savings_usd >= _NOTHING:
        return f"saved ${savings_usd:.4f} versus premium"
    if savings_usd <= -_NOTHING:
        return f"no savings: self-hosting cost ${-savings_usd:.4f} more than premium would have"
    return "no savings: no call was answered in place of a paid cloud provider"
