"""`reelforge status` and `reelforge costs`: provider health and the usage ledger, as tables or JSON."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.router_config import setup_hint
from graph.services import Services
from graph.third_party import HOW_TO_TURN_OFF, OFF, third_party_note
from state.model_calls import CAPABILITIES
from state.model_settings import PROVIDER_TIERS
from tools.errors import BadInput
from tools.models.health import HealthRow, check_providers, overall_mode, serving_tiers
from tools.storage.ledger_records import CostRow, GroupBy

if TYPE_CHECKING:
    from rich.console import RenderableType

_SINCE = re.compile(r"^(?P<n>\d+)(?P<unit>[mhdw])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """'7d', '12h', '30m', '2w' or an ISO date (2026-11-01) as a Unix time; BadInput otherwise."""
    now = time.time() if now is None else now
    if match := _SINCE.match(text.strip()):
        return now - int(match["n"]) * _UNIT_S[match["unit"]]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"cannot read --since '{text}'; use 7d, 12h, 30m, 2w or a date like 2026-11-01"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def provider_status(services: Services) -> dict[str, Any]:
    """Check every provider now; return the overall mode, the tier serving each capability, and the rows.

    Providers that are not set up are listed too, with what to set, so the table shows every option.
    """
    router = services.settings.router
    rows = check_providers(router, services.ledger)
    listed = []
    for row in rows:
        if not row.configured and not row.healthy:
            row = replace(row, error=f"nothing answers at the default address; {setup_hint(row.provider)}")
        # A free-tier row that would be tried says what it sends to whom: those services are third parties.
        note = third_party_note(row.capability, row.endpoint) if row.tier == "free" else ""
        listed.append({**asdict(row), "third_party": note})
    for capability in CAPABILITIES:
        for name in router.order[capability]:
            provider = router.providers.get(name)
            if provider is None or provider.enabled:
                continue
            switched_off = PROVIDER_TIERS[name] == "free" and not router.third_party_free
            hint = OFF if switched_off else setup_hint(name)
            off = HealthRow(capability, PROVIDER_TIERS[name], name, provider.url, False, False, 0.0, [], hint)
            listed.append({**asdict(off), "third_party": ""})
    # In the order calls try them: by capability, then by the configured order.
    listed.sort(
        key=lambda r: (
            CAPABILITIES.index(r["capability"]),
            router.order[r["capability"]].index(r["provider"]),
        )
    )
    return {
        "mode": overall_mode(rows),
        "capabilities": serving_tiers(rows),
        "third_party_free": router.third_party_free,
        "providers": listed,
    }


def cost_report(services: Services, since: str, by: GroupBy) -> dict[str, Any]:
    """Totals from the ledger since a time, grouped by provider, day or run, with savings versus premium."""
    start = parse_since(since)
    # Without Redis, a machine that never made a call has no ledger file: do not create one to say so.
    rows = services.ledger.costs(by, start) if services.has_ledger() else []
    calls = sum(row.calls for row in rows)
    successes = calls - sum(row.failures for row in rows)
    cost = sum(row.cost_usd for row in rows)
    premium = sum(row.premium_usd for row in rows)
    return {
        "since": datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
        "by": by,
        "rows": [_cost_row(row) for row in rows],
        "totals": {
            "calls": calls,
            "failures": calls - successes,
            "cost_usd": round(cost, 6),
            "premium_usd": round(premium, 6),
            "savings_usd": round(premium - cost, 6),
            "self_hosted_share": round(sum(r.self_hosted_calls for r in rows) / successes, 4)
            if successes
            else 0.0,
        },
    }


def _cost_row(row: CostRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "calls": row.calls,
        "failures": row.failures,
        "cost_usd": round(row.cost_usd, 6),
        "premium_usd": round(row.premium_usd, 6),
        "savings_usd": round(row.savings_usd, 6),
    }


_MODE_STYLE = {
    "SELF-HOSTED": "bold green",
    "CLOUD": "bold yellow",
    "FREE": "bold blue",
    "OFFLINE": "bold cyan",
}


def render_status(status: dict[str, Any]) -> RenderableType:
    """The status table: one row per provider and capability, under the overall mode."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table("capability", "tier", "provider", "endpoint", "healthy", "latency", "models", "last error")
    third_party = False
    for raw in status["providers"]:
        row = HealthRow(**{key: value for key, value in raw.items() if key != "third_party"})
        third_party = third_party or bool(raw.get("third_party"))
        healthy = (
            Text("yes", "green")
            if row.healthy
            else Text("no" if row.configured else "not set up", "red" if row.configured else "dim")
        )
        models = ", ".join(row.models[:3]) + (f" (+{len(row.models) - 3})" if len(row.models) > 3 else "")
        table.add_row(
            row.capability,
            f"{row.tier}*" if raw.get("third_party") else row.tier,
            row.provider,
            row.endpoint,
            healthy,
            f"{row.latency_ms:.0f} ms" if row.healthy or row.configured else "—",
            models,
            row.error,
        )
    mode = status["mode"]
    serving = ", ".join(f"{cap}: {tier}" for cap, tier in status["capabilities"].items())
    heading = Text.assemble(("mode: ", "bold"), (mode, _MODE_STYLE[mode]), f"   ({serving})")
    if not third_party:
        return Group(heading, table)
    footnote = Text(
        "* free tier: a third party gets the prompts, scene descriptions or narration text (see 'status "
        f"--json'); to stop that, {HOW_TO_TURN_OFF}",
        style="dim",
    )
    return Group(heading, table, footnote)


def render_costs(report: dict[str, Any]) -> RenderableType:
    """The cost table with totals, the self-hosted share and the savings versus premium."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        report["by"], "calls", "failed", "cost", "premium would be", "saved", title=f"since {report['since']}"
    )
    for row in report["rows"]:
        table.add_row(
            row["key"],
            str(row["calls"]),
            str(row["failures"]),
            f"${row['cost_usd']:.4f}",
            f"${row['premium_usd']:.4f}",
            f"${row['savings_usd']:.4f}",
        )
    totals = report["totals"]
    line = Text(
        f"total ${totals['cost_usd']:.4f} for {totals['calls']} calls ({totals['failures']} failed); "
        f"self-hosted share {totals['self_hosted_share']:.0%}; "
        f"saved ${totals['savings_usd']:.4f} versus premium"
    )
    return Group(table, line) if report["rows"] else Text("no model calls recorded in that period")
