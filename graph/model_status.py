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
from tools.models.pricing import savings_words
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
            # + 0.0: a sum that is 0 up to rounding shows as 0, never -0.
            "savings_usd": round(premium - cost, 6) + 0.0,
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
        "savings_usd": round(row.savings_usd, 6) + 0.0,
    }


_MODE_STYLE = {
    "SELF-HOSTED": "bold green",
    "CLOUD": "bold yellow",
    "FREE": "bold blue",
    "OFFLINE": "bold cyan",
}


def _host(endpoint: str) -> str:
    """An endpoint's host and port ('api.openai.com'), or the endpoint itself when it is no URL."""
    from urllib.parse import urlsplit

    return urlsplit(endpoint).netloc or endpoint


def render_status(status: dict[str, Any]) -> RenderableType:
    """The status table under the overall mode, laid out for the terminal's width.

    Latency, then the models, then the endpoint (shortened to its host first) and the tier give way as the
    width shrinks; the capability, the provider, whether it is healthy and the last error always stay,
    and only the error wraps.
    """
    from rich.console import Group
    from rich.text import Text

    from graph.table_fit import FitColumn, FittedTable, Variant

    rows = [
        HealthRow(**{key: value for key, value in raw.items() if key != "third_party"})
        for raw in status["providers"]
    ]
    marked = [bool(raw.get("third_party")) for raw in status["providers"]]
    healthy = [
        Text("yes", "green")
        if row.healthy
        else Text("no" if row.configured else "not set up", "red" if row.configured else "dim")
        for row in rows
    ]
    models = [
        ", ".join(row.models[:3]) + (f" (+{len(row.models) - 3})" if len(row.models) > 3 else "")
        for row in rows
    ]
    latency = [f"{row.latency_ms:.0f} ms" if row.healthy or row.configured else "—" for row in rows]
    star = ["*" if mark else "" for mark in marked]
    columns = [
        FitColumn("capability", (Variant("capability", [row.capability for row in rows]),), required=True),
        FitColumn(
            "tier", (Variant("tier", [row.tier + mark for row, mark in zip(rows, star, strict=True)]),)
        ),
        FitColumn(
            "provider",
            (
                Variant("provider", [row.provider for row in rows]),
                Variant("provider", [row.provider + mark for row, mark in zip(rows, star, strict=True)]),
            ),
            required=True,
        ),
        FitColumn(
            "endpoint",
            (
                Variant("endpoint", [row.endpoint for row in rows]),
                Variant("host", [_host(row.endpoint) for row in rows]),
            ),
        ),
        FitColumn("healthy", (Variant("healthy", healthy),), required=True),
        FitColumn("latency", (Variant("latency", latency, justify="right"),)),
        FitColumn("models", (Variant("models", models),)),
        FitColumn("error", (Variant("last error", [row.error for row in rows], wrap_min=24),), required=True),
    ]
    steps = [("latency",), ("models",), ("endpoint",), ("endpoint",), ("tier", "provider")]
    mode = status["mode"]
    serving = ", ".join(f"{cap}: {tier}" for cap, tier in status["capabilities"].items())
    heading = Text.assemble(("mode: ", "bold"), (mode, _MODE_STYLE[mode]), f"   ({serving})")
    table = FittedTable(columns, steps)
    if not any(marked):
        return Group(heading, table)
    footnote = Text(
        "* free tier: a third party gets the prompts, scene descriptions or narration text (see 'status "
        f"--json'); to stop that, {HOW_TO_TURN_OFF}",
        style="dim",
    )
    return Group(heading, table, footnote)


# Amounts under half a cent's hundredth show as $0.0000: not worth calling savings.
def render_costs(report: dict[str, Any]) -> RenderableType:
    """The cost table with totals, the self-hosted share and the savings versus premium.

    The premium and savings columns appear only when some row has them; as the width shrinks the
    premium header shortens, then the failures (also in the totals line), the premium and the savings
    columns go. Run ids (--by run) are never cut.
    """
    from rich.console import Group
    from rich.text import Text

    from graph.table_fit import FitColumn, FittedTable, Variant

    if not report["rows"]:
        return Text("no model calls recorded in that period")
    rows = report["rows"]
    money = [f"${row['cost_usd']:.4f}" for row in rows]
    premium = [f"${row['premium_usd']:.4f}" for row in rows]
    columns = [
        FitColumn("key", (Variant(report["by"], [str(row["key"]) for row in rows]),), required=True),
        FitColumn(
            "calls", (Variant("calls", [str(row["calls"]) for row in rows], justify="right"),), required=True
        ),
        FitColumn("failed", (Variant("failed", [str(row["failures"]) for row in rows], justify="right"),)),
        FitColumn("cost", (Variant("cost", money, justify="right"),), required=True),
    ]
    if premium != money:
        saved = [f"${row['savings_usd']:.4f}" for row in rows]
        columns += [
            FitColumn(
                "premium",
                (
                    Variant("premium would be", premium, justify="right"),
                    Variant("premium", premium, justify="right"),
                ),
            ),
            FitColumn("saved", (Variant("saved", saved, justify="right"),)),
        ]
    steps = [("premium",), ("failed",), ("premium",), ("saved",)]
    totals = report["totals"]
    line = Text(
        f"total ${totals['cost_usd']:.4f} for {totals['calls']} calls ({totals['failures']} failed); "
        f"self-hosted share {totals['self_hosted_share']:.0%}; {savings_words(totals['savings_usd'])}"
    )
    return Group(FittedTable(columns, steps, title=f"since {report['since']}"), line)
