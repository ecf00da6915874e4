"""ModelRouter: one router per capability (and alias) for a run, sharing its ledger and cooldowns."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from state.model_calls import ChatRequest, ImageRequest, Routed, SpeechRequest, TextRequest
from state.model_settings import PROVIDER_TIERS, Price, RouterSettings
from tools.models.base import calls_tools
from tools.models.cooldown import Cooldowns
from tools.models.registry import providers_for
from tools.models.router import Reachability, Router, Slot
from tools.storage.ledger_records import UsageRecord
from tools.storage.protocols import LedgerStore

# The tiers whose tool-calling models make the chat door an agent: a model of the user's own or one they
# pay for. The free tier may still answer a chat the agent started, as it answers text, but never starts one.
_CHAT_TIERS = ("self-hosted", "cloud")


class ModelRouter:
    """What nodes call through `runtime.context.models`: text, image and speech, each routed and ledgered."""

    def __init__(self, settings: RouterSettings, ledger: LedgerStore, run_id: str) -> None:
        """Build routers lazily; start cooldowns from health checks that failed recently."""
        self.settings, self.ledger, self.run_id = settings, ledger, run_id
        self.cooldowns = Cooldowns(
            settings.failures_before_cooldown, settings.failure_window_s, settings.cooldown_s
        )
        self._reachable = Reachability()
        self._routers: dict[tuple[str, str], Router] = {}
        self._lock = threading.Lock()
        now = time.time()
        for (provider, capability), check in ledger.latest_health().items():
            if not check.healthy and now - check.ts < settings.cooldown_s:
                self.cooldowns.cool_down(f"{provider}:{capability}", since=check.ts)

    def router(self, capability: str, alias: str = "default") -> Router:
        """The router for one capability and model alias."""
        with self._lock:
            router = self._routers.get((capability, alias))
            if router is None:
                slots = [
                    Slot(provider, provider_settings, self._price(provider.name))
                    for provider, provider_settings in providers_for(self.settings, capability, alias)
                ]
                router = self._routers[(capability, alias)] = Router(
                    slots,
                    ledger=self.ledger,
                    cooldowns=self.cooldowns,
                    premium=self.settings.premium,
                    gpu_usd_per_hour=self.settings.gpu_usd_per_hour,
                    run_id=self.run_id,
                    reachable=self._reachable,
                )
            return router

    def _price(self, name: str) -> Price | None:
        return self.settings.prices.get(name) if PROVIDER_TIERS[name] == "cloud" else None

    def text(self, request: TextRequest, node: str, alias: str = "default") -> Routed:
        """A JSON object for `request`, from the first text provider that answers."""
        return self.router("text", alias).call(request, node)

    def chat(self, request: ChatRequest, node: str, alias: str = "default") -> Routed:
        """One tool-calling turn (a ChatAnswer), from the first text provider that calls tools and answers.

        Every attempt is ledgered under `node` like a text call; AllProvidersFailed when none answers."""
        return self.router("text", alias).chat(request, node)

    def can_chat(self, alias: str = "default") -> bool:
        """Whether a self-hosted or cloud text provider that calls tools is set up and may answer now
        (not cooling down; a built-in default such as Ollama on localhost only when it listens).

        Makes no model call: the chat door asks this to choose between the agent and the rule parser. The
        free tier does not count, so a machine with no model of its own keeps its chats to itself."""
        try:
            router = self.router("text", alias)
        except ValueError:  # no text provider is enabled at all
            return False
        return any(
            calls_tools(slot.provider) and slot.provider.tier in _CHAT_TIERS and router.ready(slot)
            for slot in router.slots
        )

    def image(self, request: ImageRequest, node: str) -> Routed:
        """A PNG of the requested size, from the first image provider that answers."""
        return self.router("image").call(request, node)

    def speech(self, request: SpeechRequest, node: str) -> Routed:
        """A mono WAV of `request.text` spoken, from the first speech provider that answers."""
        return self.router("speech").call(request, node)

    def usage(self) -> list[UsageRecord]:
        """Every call this run made, oldest first."""
        return self.ledger.usage(run_id=self.run_id)

    def usage_summary(self) -> dict[str, Any]:
        """This run's calls by provider and capability, with failures, cost, and savings versus premium."""
        return summarise_usage(self.usage())


def summarise_usage(records: list[UsageRecord]) -> dict[str, Any]:
    """Totals and a per-provider breakdown of `records`, JSON-native.

    `savings_usd` is premium minus cost: only calls answered in place of a paid cloud provider have a
    premium above their cost (see tools.models.router.Router), so it is 0 for an offline run.
    """
    by_provider: dict[str, dict[str, Any]] = {}
    for record in records:
        row = by_provider.setdefault(
            record.provider,
            {"tier": record.tier, "calls": 0, "failures": 0, "cost_usd": 0.0, "capabilities": []},
        )
        row["calls"] += 1
        row["failures"] += 0 if record.ok else 1
        row["cost_usd"] += record.cost_usd
        if record.capability not in row["capabilities"]:
            row["capabilities"].append(record.capability)
    cost = math.fsum(r.cost_usd for r in records)
    premium = math.fsum(r.premium_usd for r in records)
    # Per call, so the many calls that saved nothing (premium = cost) add exactly 0, never a rounding -0.0.
    savings = math.fsum(r.premium_usd - r.cost_usd for r in records)
    ok = [r for r in records if r.ok]
    return {
        "calls": len(records),
        "failures": len(records) - len(ok),
        "cost_usd": round(cost, 6),
        "premium_usd": round(premium, 6),
        "savings_usd": round(savings, 6) + 0.0,
        "self_hosted_share": round(sum(r.tier == "self-hosted" for r in ok) / len(ok), 4) if ok else 0.0,
        "by_provider": {
            name: {**row, "cost_usd": round(row["cost_usd"], 6)} for name, row in by_provider.items()
        },
    }
