"""Health checks: probe every configured provider, log each change of state, and record it in the ledger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from state.model_calls import CAPABILITIES, TIER_RANK
from state.model_settings import RouterSettings
from tools.models.registry import providers_for
from tools.storage.ledger_records import HealthRecord
from tools.storage.protocols import LedgerStore

log = structlog.get_logger("reelforge.health")

MODES = {0: "SELF-HOSTED", 1: "CLOUD", 2: "FREE", 3: "OFFLINE"}


@dataclass(frozen=True)
class HealthRow:
    """One provider's check for one capability, as `reelforge status` shows it."""

    capability: str
    tier: str
    provider: str
    endpoint: str
    configured: bool
    healthy: bool
    latency_ms: float
    models: list[str]
    error: str


def check_providers(settings: RouterSettings, ledger: LedgerStore) -> list[HealthRow]:
    """Check every enabled provider of every capability at once; record and log the results."""
    targets = [
        (capability, provider, provider_settings.explicit)
        for capability in CAPABILITIES
        for provider, provider_settings in providers_for(settings, capability)
    ]
    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        results = list(pool.map(lambda target: target[1].check(), targets))
    rows = []
    for (capability, provider, configured), result in zip(targets, results, strict=True):
        row = HealthRow(
            capability,
            provider.tier,
            provider.name,
            provider.endpoint,
            configured,
            result.healthy,
            round(result.latency_ms, 1),
            list(result.models),
            result.error,
        )
        rows.append(row)
        record = HealthRecord(
            row.provider,
            capability,
            row.tier,
            row.endpoint,
            row.healthy,
            row.latency_ms,
            row.models,
            row.error,
        )
        previous = ledger.record_health(record)
        _log_change(row, previous)
    return rows


def _log_change(row: HealthRow, previous: HealthRecord | None) -> None:
    # Alert on transitions only: a provider that stays down is not news every minute.
    if previous is None:
        if not row.healthy and row.configured:
            log.warning("provider_down", provider=row.provider, capability=row.capability, error=row.error)
        return
    if previous.healthy and not row.healthy:
        log.warning("provider_down", provider=row.provider, capability=row.capability, error=row.error)
    elif not previous.healthy and row.healthy:
        log.info("provider_recovered", provider=row.provider, capability=row.capability)


def serving_tiers(rows: list[HealthRow]) -> dict[str, str]:
    """For each capability, the best tier with a healthy provider: where its calls will land now."""
    best: dict[str, int] = {}
    for row in rows:
        if row.healthy:
            rank = TIER_RANK[row.tier]
            best[row.capability] = min(best.get(row.capability, rank), rank)
    return {capability: MODES[best.get(capability, max(MODES))] for capability in CAPABILITIES}


def overall_mode(rows: list[HealthRow]) -> str:
    """SELF-HOSTED when every capability is served self-hosted, CLOUD when none needs the offline tier."""
    ranks = {mode: rank for rank, mode in MODES.items()}
    return MODES[max(ranks[mode] for mode in serving_tiers(rows).values())]
