"""The router: try each provider for a capability in order, fail over, cool down, and ledger every call."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import structlog

from state.model_calls import (
    TIER_RANK,
    ChatAnswer,
    ChatRequest,
    ImageRequest,
    MediaAnswer,
    Routed,
    SpeechRequest,
    TextAnswer,
    TextRequest,
)
from state.model_settings import PHOTO_SOURCES, PROVIDER_TIERS, Price, ProviderSettings
from tools.models.base import Provider, calls_tools
from tools.models.cooldown import Cooldowns
from tools.models.failures import RETRYABLE, AllProvidersFailed, Attempt, ProviderError
from tools.models.http_failures import failure_for_exception
from tools.models.media_checks import check_clip, normalise_image, normalise_speech, wav_seconds
from tools.models.pricing import gpu_cost, price_call
from tools.storage.ledger_records import UsageRecord
from tools.storage.protocols import LedgerStore

log = structlog.get_logger("reelforge.router")

# Longest we wait on a Retry-After before moving on to the next provider instead.
MAX_RETRY_WAIT_S = 30.0
PROBE_TIMEOUT_S = 0.25
PROBE_TTL_S = 30.0
# The tiers whose calls can save money: answered on the user's own machines or for free, in place of a
# paid cloud provider in the same chain. Offline calls never count: nobody would have paid for a card.
_SAVING_TIERS = ("self-hosted", "free")
# What a provider answers: a JSON object, media bytes, or a chat turn (text and tool calls).
Answer = TextAnswer | MediaAnswer | ChatAnswer


@dataclass
class Slot:
    """One provider in a router's order, with its settings and its concurrency limit."""

    provider: Provider
    settings: ProviderSettings
    price: Price | None  # None: self-hosted (charged by GPU time) or offline (free)
    limit: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.limit = threading.BoundedSemaphore(self.settings.concurrency)

    @property
    def key(self) -> str:
        """The cooldown and health key: provider and capability."""
        return f"{self.provider.name}:{self.provider.capability}"


class Reachability:
    """Whether a built-in default endpoint (say Ollama on localhost:11434) has anything listening.

    Probed with one TCP connect and remembered for PROBE_TTL_S, so an offline machine pays once.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bool:
        """True when something accepts connections at `url`'s host and port."""
        now = time.monotonic()
        with self._lock:
            cached = self._seen.get(url)
        if cached and now - cached[1] < PROBE_TTL_S:
            return cached[0]
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "localhost", port), timeout=PROBE_TIMEOUT_S):
                reachable = True
        except OSError:
            reachable = False
        with self._lock:
            self._seen[url] = (reachable, now)
        return reachable


class Router:
    """Routes one capability's calls through its ordered slots.

    Every call is ledgered with its cost and `premium_usd`, the baseline its savings are measured
    against (savings = premium - cost):
    - a call answered by a self-hosted or free provider while the chain holds a paid cloud provider
      (`premium_alternative`): what the premium price table would have charged for it;
    - every other call (offline, no paid provider in the chain, a paid provider's own call, a failure):
      its own cost, so it saves nothing. A paid call is not "saved" against a dearer premium model the
      user never set up.
    """

    def __init__(
        self,
        slots: list[Slot],
        *,
        ledger: LedgerStore,
        cooldowns: Cooldowns,
        premium: Price,
        gpu_usd_per_hour: float,
        run_id: str,
        reachable: Callable[[str], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not slots:
            raise ValueError("a router needs at least one provider")
        self.capability = slots[0].provider.capability
        self.slots = slots
        self.ledger, self.cooldowns, self.premium = ledger, cooldowns, premium
        self.gpu_usd_per_hour, self.run_id = gpu_usd_per_hour, run_id
        self._reachable = reachable or Reachability()
        self._sleep = sleep
        self.premium_alternative = any(_paid(slot, self.capability) for slot in slots)

    def _usable(self, slot: Slot) -> bool:
        # A provider the user set up is always tried; a built-in default only when something listens there.
        return slot.settings.explicit or self._reachable(slot.provider.endpoint)

    def ready(self, slot: Slot) -> bool:
        """Whether a call would try `slot` now: not cooling down, and set up by the user or answering."""
        return self.cooldowns.cooling(slot.key) <= 0 and self._usable(slot)

    def call(self, request: TextRequest | ImageRequest | SpeechRequest, node: str) -> Routed:
        """Answer `request` from the first provider that succeeds; raise AllProvidersFailed if none does."""
        return self._route(request, self._ordered(request), self._missing_preference(request), node)

    def chat(self, request: ChatRequest, node: str) -> Routed:
        """Answer one tool-calling turn from the first provider that calls tools and succeeds.

        Providers that cannot (the offline writer) are left out, not counted as failures; AllProvidersFailed
        when none answers, naming each one tried and why."""
        return self._route(request, [slot for slot in self.slots if calls_tools(slot.provider)], [], node)

    def _route(
        self,
        request: TextRequest | ImageRequest | SpeechRequest | ChatRequest,
        slots: list[Slot],
        attempts: list[Attempt],
        node: str,
    ) -> Routed:
        """Try `slots` in order, skipping the cooling and the unreachable, until one answers."""
        best_rank: int | None = None
        for slot in slots:
            provider = slot.provider
            # Reachability first: a built-in default that nobody runs is absent, not a better tier that
            # failed, even when health checks of its address have put it in a cooldown.
            if not self._usable(slot):
                attempts.append(_skip(slot, "unavailable", f"nothing answers at {provider.endpoint}"))
                continue
            wait = self.cooldowns.cooling(slot.key)
            if wait > 0:
                attempts.append(
                    _skip(slot, "cooling_down", f"skipped for {wait:.0f} s more after repeated failures")
                )
                best_rank = _min_rank(best_rank, slot)
                continue
            best_rank = _min_rank(best_rank, slot)
            answer = self._try(slot, request, node, attempts)
            if answer is not None:
                return self._routed(slot, answer, attempts, best_rank)
        raise AllProvidersFailed(
            self.capability, [a for a in attempts if a.kind != "unavailable"] or attempts
        )

    def _ordered(self, request: TextRequest | ImageRequest | SpeechRequest) -> list[Slot]:
        """The slots in the order this request wants: an image job's --visuals can put the sources of real
        photographs and clips first (photos, clips) or keep to the offline cards (cards); then the provider
        the job prefers, if it is configured, goes before all of them."""
        visuals = request.visuals if isinstance(request, ImageRequest) else "auto"
        if visuals == "cards":
            # Cards are what the job asked for: a preferred image model must not draw over them.
            return [slot for slot in self.slots if slot.provider.tier == "offline"] or self.slots
        slots = self.slots
        if visuals in ("photos", "clips"):
            photos = [slot for slot in slots if slot.provider.name in PHOTO_SOURCES]
            slots = photos + [slot for slot in slots if slot.provider.name not in PHOTO_SOURCES]
        if request.prefer:
            first = [slot for slot in slots if slot.provider.name == request.prefer]
            slots = first + [slot for slot in slots if slot.provider.name != request.prefer]
        return slots

    def _missing_preference(self, request: TextRequest | ImageRequest | SpeechRequest) -> list[Attempt]:
        """A skip for a preferred provider this router has no slot for (not set up, or switched off), so
        the call moves on as it does past any unavailable provider and a failure message still names it."""
        name = request.prefer
        ignored = isinstance(request, ImageRequest) and request.visuals == "cards"
        if not name or ignored or any(slot.provider.name == name for slot in self.slots):
            return []
        log.info("preferred_provider_missing", provider=name, capability=self.capability, run_id=self.run_id)
        detail = f"not set up for {self.capability}, so the next provider in the order was tried"
        return [Attempt(name, PROVIDER_TIERS.get(name, "unknown"), "", "unavailable", detail, 0.0)]

    def _try(self, slot: Slot, request: Any, node: str, attempts: list[Attempt]) -> Answer | None:
        """Call one provider, retrying transient failures; None when it gave up."""
        provider = slot.provider
        for attempt in range(slot.settings.retries + 1):
            started = time.perf_counter()
            try:
                with slot.limit:
                    if isinstance(request, ChatRequest) and calls_tools(provider):
                        raw = provider.chat(request)
                    else:
                        raw = provider.call(request)
                # The limit is the provider's; decoding and cropping its answer is our work, done after.
                answer = self._checked(raw, request, slot.provider.tier)
            except Exception as error:  # every failure of a provider is a reason to move on, never to crash
                failure = _as_failure(error)
                wall_ms = (time.perf_counter() - started) * 1000
                attempts.append(
                    Attempt(
                        slot.provider.name,
                        slot.provider.tier,
                        slot.provider.model,
                        failure.kind,
                        failure.detail,
                        wall_ms,
                    )
                )
                self._ledger(slot, node, None, wall_ms, failure)
                cooling = self.cooldowns.failed(slot.key)
                log.warning(
                    "provider_failed",
                    provider=slot.provider.name,
                    capability=self.capability,
                    kind=failure.kind,
                    detail=failure.detail,
                    run_id=self.run_id,
                    node=node,
                    cooling_down=cooling,
                )
                if cooling or failure.kind not in RETRYABLE or attempt == slot.settings.retries:
                    return None
                delay = failure.retry_after_s
                if delay is None:
                    delay = slot.settings.backoff_s * 2**attempt
                self._sleep(min(delay, MAX_RETRY_WAIT_S, slot.settings.timeout_s))
                continue
            wall_ms = (time.perf_counter() - started) * 1000
            self._ledger(slot, node, answer, wall_ms, None)
            self.cooldowns.succeeded(slot.key)
            return answer
        return None

    def _checked(self, answer: Any, request: Any, tier: str) -> Answer:
        """Decode media before accepting it: a truncated image or clip, or undecodable audio, is a failure.

        The offline tier's files are our own renderer's and voice's, already in the final shape.
        """
        if isinstance(request, ChatRequest):
            if not isinstance(answer, ChatAnswer) or not (answer.content.strip() or answer.tool_calls):
                raise ProviderError("empty", "the provider returned neither text nor a tool call")
            return answer
        if isinstance(request, TextRequest):
            if not isinstance(answer, TextAnswer) or not answer.data:
                raise ProviderError("empty", "the provider returned no JSON object")
            return answer
        if not isinstance(answer, MediaAnswer):
            raise ProviderError("malformed", f"the provider returned {type(answer).__name__}, not media")
        expected = "image/" if isinstance(request, ImageRequest) else "audio/"
        kind = answer.content_type.split(";")[0].strip().lower()
        if kind.startswith("video/") and isinstance(request, ImageRequest) and request.wants_clips():
            # A clip stays the MP4 it came as: the renderer decodes, scales and crops it frame by frame.
            check_clip(answer.data)
            return MediaAnswer(answer.data, answer.model, "video/mp4", credit=answer.credit)
        if kind and not kind.startswith(expected) and kind != "application/octet-stream":
            raise ProviderError("bad_content", f"expected {expected}*, got {kind}")
        if tier == "offline":
            seconds = wav_seconds(answer.data) if isinstance(request, SpeechRequest) else 0.0
            return MediaAnswer(answer.data, answer.model, answer.content_type, audio_s=seconds)
        if isinstance(request, ImageRequest):
            png = normalise_image(answer.data, request.width, request.height)
            return MediaAnswer(png, answer.model, "image/png", credit=answer.credit)
        wav, seconds = normalise_speech(answer.data)
        return MediaAnswer(wav, answer.model, "audio/wav", audio_s=seconds)

    def _ledger(
        self,
        slot: Slot,
        node: str,
        answer: Answer | None,
        wall_ms: float,
        failure: ProviderError | None,
    ) -> None:
        provider = slot.provider
        tokens_in = answer.tokens_in if isinstance(answer, TextAnswer | ChatAnswer) else 0
        tokens_out = answer.tokens_out if isinstance(answer, TextAnswer | ChatAnswer) else 0
        images = 1 if isinstance(answer, MediaAnswer) and self.capability == "image" else 0
        audio_s = answer.audio_s if isinstance(answer, MediaAnswer) else 0.0
        if provider.tier == "self-hosted":
            cost = gpu_cost(wall_ms, self.gpu_usd_per_hour)
        elif slot.price is not None:
            cost = price_call(
                slot.price, tokens_in=tokens_in, tokens_out=tokens_out, images=images, audio_s=audio_s
            )
        else:
            cost = 0.0
        # Savings are counted only where they are real (see premium_alternative): elsewhere "premium" is
        # the call's own cost, so it saved exactly nothing.
        premium = cost
        if answer is not None and provider.tier in _SAVING_TIERS and self.premium_alternative:
            billed_out = tokens_out
            if isinstance(answer, TextAnswer) and not (tokens_in or tokens_out):
                # A free text endpoint may count no tokens; estimate what a premium model would have billed.
                billed_out = _estimate_tokens(answer.data)
            premium = price_call(
                self.premium, tokens_in=tokens_in, tokens_out=billed_out, images=images, audio_s=audio_s
            )
        self.ledger.record(
            UsageRecord(
                run_id=self.run_id,
                node=node,
                capability=self.capability,
                provider=provider.name,
                tier=provider.tier,
                model=answer.model if answer is not None else provider.model,
                ok=failure is None,
                wall_ms=wall_ms,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                images=images,
                audio_s=audio_s,
                cost_usd=cost,
                premium_usd=premium,
                error_class=failure.kind if failure else "",
                error=failure.detail if failure else "",
            )
        )

    def _routed(self, slot: Slot, answer: Answer, attempts: list[Attempt], best_rank: int | None) -> Routed:
        provider = slot.provider
        failures = [
            f"{a.provider} ({a.tier}): {a.kind} - {a.detail}" for a in attempts if a.kind != "unavailable"
        ]
        degraded = None
        if best_rank is not None and TIER_RANK[provider.tier] > best_rank:
            degraded = f"{self.capability} came from {provider.name} ({provider.tier}) because " + "; ".join(
                failures or ["the better providers were skipped"]
            )
        return Routed(answer, provider.name, provider.tier, answer.model, failures, degraded)


def _paid(slot: Slot, capability: str) -> bool:
    """Whether `slot` is a cloud provider the user set up (with its key) that charges for `capability`.

    A cloud provider whose price table charges nothing for it (Hugging Face's free tier, by default)
    is no premium alternative: a call kept off it saves nothing.
    """
    price = slot.price
    if slot.provider.tier != "cloud" or price is None:
        return False
    charges = {
        "text": price.text_in_per_mtok > 0 or price.text_out_per_mtok > 0,
        "image": price.per_image > 0,
        "speech": price.speech_per_minute > 0,
    }
    return charges.get(capability, False)


def _min_rank(best: int | None, slot: Slot) -> int:
    rank = TIER_RANK[slot.provider.tier]
    return rank if best is None else min(best, rank)


def _skip(slot: Slot, kind: str, detail: str) -> Attempt:
    return Attempt(slot.provider.name, slot.provider.tier, slot.provider.model, kind, detail, 0.0)


def _as_failure(error: Exception) -> ProviderError:
    if isinstance(error, ProviderError):
        return error
    return failure_for_exception(error, "the call") or ProviderError(
        "malformed", f"unexpected {type(error).__name__} from the client"
    )


def _estimate_tokens(data: dict[str, Any]) -> int:
    import json

    return len(json.dumps(data)) // 4
