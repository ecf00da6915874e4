"""Savings versus premium are real: only a call answered by a self-hosted or free provider in place of a
paid cloud provider in the same chain saves anything; offline calls, chains with no paid provider and
the paid calls themselves save exactly nothing.

The real clients talk to protocol servers on localhost; a paid provider that is only an alternative points
where nothing listens (it is never asked: the provider before it answers).
"""

from __future__ import annotations

import io
import math
import wave
from pathlib import Path

import pytest
from pydantic import BaseModel

from graph.router_config import load_router_settings
from state import ImageRequest, SpeechRequest, TextRequest
from tests.servers.harness import refused_url
from tests.servers.ollama import OllamaServer
from tests.servers.openai import OpenAIServer
from tests.servers.pollinations import PollinationsTextServer
from tools.models.pricing import gpu_cost, price_call
from tools.models.service import ModelRouter, summarise_usage
from tools.storage.ledger_records import UsageRecord
from tools.storage.sqlite_ledger import UsageLedger

KEY = "sk-savings-test-key-0123456789"


class Answer(BaseModel):
    word: str


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(22050)
        handle.writeframes(b"\x00\x00" * 22050)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (36, 64), "gray").save(out, "PNG")
    return out.getvalue()


TEXT = TextRequest("Answer in JSON.", "say a word", Answer, offline=lambda: {"word": "offline words " * 40})
IMAGE = ImageRequest("a lighthouse", 36, 64, offline=_png)
SPEECH = SpeechRequest("Lighthouses guided ships.", offline=_wav)


@pytest.fixture(scope="module")
def ollama():
    with OllamaServer(default_reply='{"word": "self"}') as server:
        yield server


def _models(tmp_path: Path, text_order: list[str], toml: str = "", **env: str) -> ModelRouter:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "reelforge.toml"
    order = ", ".join(f'"{name}"' for name in text_order)
    config.write_text(f"[router]\norder = {{ text = [{order}] }}\n{toml}")
    environ = {"REELFORGE_CONFIG": str(config), "REELFORGE_THIRD_PARTY_FREE": "off", **env}
    settings = load_router_settings(tmp_path, environ=environ)
    return ModelRouter(settings, UsageLedger(tmp_path / "ledger.sqlite"), "run-savings")


def _only(models: ModelRouter) -> UsageRecord:
    (record,) = models.usage()
    return record


def _premium_price(models: ModelRouter, record: UsageRecord) -> float:
    return price_call(models.settings.premium, tokens_in=record.tokens_in, tokens_out=record.tokens_out)


def test_an_all_offline_run_saves_nothing_not_even_minus_zero(tmp_path):
    models = _models(tmp_path, ["offline"])
    models.text(TEXT, "write_script")
    models.image(IMAGE, "make_scene")
    models.speech(SPEECH, "make_scene")
    records = models.usage()
    assert [(r.provider, r.ok) for r in records] == [("offline", True)] * 3
    # The offline writer's long answer once counted as a premium model's tokens: no longer.
    assert [(r.cost_usd, r.premium_usd) for r in records] == [(0.0, 0.0)] * 3
    summary = summarise_usage(records)
    assert summary["premium_usd"] == summary["savings_usd"] == 0.0
    assert math.copysign(1.0, summary["savings_usd"]) == 1.0, "never printed as -0.0000"


def test_offline_calls_save_nothing_even_when_a_paid_provider_is_in_the_chain(tmp_path):
    # OpenAI is set up (a key) but nothing answers there: the call fails over to the offline writer.
    models = _models(tmp_path, ["openai", "offline"], OPENAI_API_KEY=KEY, OPENAI_BASE_URL=refused_url())
    assert models.router("text").premium_alternative
    assert models.text(TEXT, "write_script").provider == "offline"
    failed, offline = models.usage()
    assert (failed.provider, failed.ok, failed.premium_usd) == ("openai", False, failed.cost_usd)
    assert (offline.provider, offline.cost_usd, offline.premium_usd) == ("offline", 0.0, 0.0)
    assert summarise_usage(models.usage())["savings_usd"] == 0.0


def test_a_self_hosted_call_saves_the_premium_price_when_a_paid_provider_stood_behind_it(tmp_path, ollama):
    models = _models(
        tmp_path,
        ["ollama", "openai", "offline"],
        OLLAMA_HOST=ollama.url,
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=refused_url(),
    )
    assert models.text(TEXT, "write_script").provider == "ollama"
    record = _only(models)
    assert record.tokens_in > 0 and record.tokens_out > 0
    assert record.cost_usd == pytest.approx(gpu_cost(record.wall_ms, 0.20))
    assert record.premium_usd == pytest.approx(_premium_price(models, record))
    assert record.premium_usd > record.cost_usd
    summary = summarise_usage([record])
    assert summary["savings_usd"] == pytest.approx(record.premium_usd - record.cost_usd, abs=1e-6)


def test_a_self_hosted_call_with_no_paid_provider_in_the_chain_saves_nothing(tmp_path, ollama):
    models = _models(tmp_path, ["ollama", "openai", "offline"], OLLAMA_HOST=ollama.url)
    assert not models.router("text").premium_alternative, "openai without a key is not in the chain"
    models.text(TEXT, "write_script")
    record = _only(models)
    assert record.cost_usd > 0, "the GPU's time is still a cost"
    assert record.premium_usd == record.cost_usd
    assert summarise_usage([record])["savings_usd"] == 0.0


def test_a_cloud_provider_that_charges_nothing_is_no_premium_alternative(tmp_path, ollama):
    # Hugging Face's free tier (its default price table is all zeros) with a token: nothing to save from.
    chain = ["ollama", "huggingface", "offline"]
    models = _models(tmp_path / "free", chain, OLLAMA_HOST=ollama.url, HF_TOKEN="hf_test_token")
    assert not models.router("text").premium_alternative
    # Priced in reelforge.toml (a PRO account), the same chain has a paid alternative.
    priced = "[prices.huggingface]\ntext_in_per_mtok = 0.5\ntext_out_per_mtok = 1.5\n"
    paid = _models(tmp_path / "paid", chain, priced, OLLAMA_HOST=ollama.url, HF_TOKEN="hf_test_token")
    assert paid.router("text").premium_alternative
    # A price for text says nothing about images: no image-paying provider stands in that chain.
    assert not paid.router("image").premium_alternative
    paid.text(TEXT, "write_script")
    record = _only(paid)
    assert record.premium_usd == pytest.approx(_premium_price(paid, record))


def test_a_paid_call_records_its_own_cost_as_premium(tmp_path):
    with OpenAIServer() as server:
        assert isinstance(server, OpenAIServer)
        server.api_key = KEY
        server.default_reply = '{"word": "cloud"}'
        models = _models(
            tmp_path,
            ["openai", "offline"],
            '[providers.openai]\ntext_model = "test-chat"\n',
            OPENAI_API_KEY=KEY,
            OPENAI_BASE_URL=f"{server.url}/v1",
        )
        assert models.text(TEXT, "write_script").provider == "openai"
    record = _only(models)
    assert (record.tokens_in, record.tokens_out) == (11, 5)
    assert record.cost_usd == pytest.approx(
        price_call(models.settings.prices["openai"], tokens_in=11, tokens_out=5)
    )
    assert record.premium_usd == record.cost_usd > 0, "it went to the paid tier: nothing was saved"
    assert summarise_usage([record])["savings_usd"] == 0.0


def test_a_free_call_saves_only_when_a_paid_provider_stood_behind_it(tmp_path):
    with PollinationsTextServer() as server:
        server.default_reply = '{"word": "free"}'
        env = {"POLLINATIONS_TEXT_URL": f"{server.url}/openai", "REELFORGE_THIRD_PARTY_FREE": "on"}
        chain = ["pollinations_text", "openai", "offline"]
        alone = _models(tmp_path / "alone", chain, **env)
        backed = _models(tmp_path / "backed", chain, OPENAI_API_KEY=KEY, OPENAI_BASE_URL=refused_url(), **env)
        for models in (alone, backed):
            assert models.text(TEXT, "write_script").provider == "pollinations_text"
    free, saved = _only(alone), _only(backed)
    assert free.cost_usd == free.premium_usd == 0.0
    assert saved.cost_usd == 0.0 and saved.premium_usd == pytest.approx(_premium_price(backed, saved))
    assert saved.premium_usd > 0
