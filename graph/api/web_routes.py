"""The web dashboard: server-rendered pages and htmx fragments over the same Operations as the JSON API."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from graph.api.deps import Ops
from graph.api.security import TOKEN_COOKIE, token_matches
from graph.model_picker import ESTIMATE_FOR_S, picker_options, premium_cost, video_usage
from graph.operations import Operations, UnknownRun
from graph.preflight import target_ready
from state.events import STAGES
from state.job import ASPECTS, CAPTIONS, GATES, STYLES, VISUALS, VOICES
from state.model_calls import CAPABILITIES
from state.requests import MAX_DURATION_S, MIN_DURATION_S, TARGETS, JobRequest
from tools.errors import first_line

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
router = APIRouter(include_in_schema=False)
RunId = Annotated[str, PathParam(max_length=120)]

# Runs that still change: their rows follow the run's events.
ACTIVE = frozenset({"queued", "running"})
# A browser holds six connections per host; the list follows at most this many runs at once.
FOLLOWED_IN_LIST = 3
STAGE_LABELS = {
    "planning": "plan",
    "data_acquisition": "research",
    "content_generation": "script & scenes",
    "video_production": "video",
    "publishing": "publish",
    "monitoring": "report",
}
GATE_LABELS = {"script": "Review the script", "publish": "Approve before publishing"}
SINCE_CHOICES = ("24h", "7d", "30d", "365d")
# Scene artifacts are "image.02" and "speech.02" where degraded, "images.02" and "narration.02" in tiers.
DEGRADED_AS_TIER = {"image": "images", "speech": "narration"}
# Characters a cookie value carries as they are (RFC 6265 cookie-octet), so the Guard reads it back intact.
_COOKIE_SAFE = re.compile(r"^[!#-+\--:<-\[\]-~]+$")
LOGIN_DAYS = 30


def _money(value: Any) -> str:
    """Dollars with as many decimals as a small amount needs: $0, $0.0012, $1.25."""
    amount = float(value or 0.0)
    if amount == 0:
        return "$0"
    if abs(amount) < 0.01:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"


def _when(value: Any) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM' (UTC)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True
    )
    env.filters["money"] = _money
    env.filters["when"] = _when
    env.filters["short"] = lambda sha: str(sha or "")[:10]
    env.filters["q"] = lambda text: quote(str(text), safe="")
    env.globals.update(
        STAGES=STAGES,
        STAGE_LABELS=STAGE_LABELS,
        ACTIVE=ACTIVE,
        GATE_LABELS=GATE_LABELS,
    )
    return env


templates = Jinja2Templates(env=_environment())


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ops: Operations = request.app.state.ops
    response = templates.TemplateResponse(
        request,
        name,
        {"login_needed": bool(ops.settings.api_token), **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- status ----------------------------------------------------------------------------------------------


def status_view(status: dict[str, Any]) -> dict[str, Any]:
    """The indicator's data: the mode, the tier serving each capability, and the servers set up or up."""
    servers: dict[str, dict[str, Any]] = {}
    for row in status.get("providers", []):
        if row["tier"] == "offline" or not (row["healthy"] or row["configured"]):
            continue
        entry = servers.setdefault(
            row["provider"], {"name": row["provider"], "tier": row["tier"], "up": True, "capabilities": []}
        )
        entry["up"] = entry["up"] and bool(row["healthy"])
        entry["capabilities"].append(row["capability"])
    return {
        "mode": status.get("mode", "OFFLINE"),
        "capabilities": status.get("capabilities", {}),
        "servers": list(servers.values()),
    }


async def _status(ops: Operations) -> dict[str, Any]:
    return status_view(await asyncio.to_thread(ops.providers))


@router.get("/ui/status", response_class=HTMLResponse)
async def status_fragment(request: Request, ops: Ops) -> HTMLResponse:
    """The status indicator alone (htmx polls it)."""
    return _page(request, "status.html", status=await _status(ops))


# ---- runs ------------------------------------------------------------------------------------------------


def _rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs as the list shows them; the newest active ones are followed live."""
    rows, followed = [], 0
    for record in records:
        follow = record["status"] in ACTIVE and followed < FOLLOWED_IN_LIST
        followed += follow
        rows.append({**record, "follow": follow})
    return rows


@router.get("/ui/runs", response_class=HTMLResponse)
async def runs_fragment(
    request: Request, ops: Ops, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> HTMLResponse:
    """The runs list alone, newest first (htmx polls it)."""
    records = await asyncio.to_thread(ops.list_runs, limit)
    return _page(request, "runs_list.html", runs=_rows(records))


def _file_url(run_id: str, run_dir: str, artifact: dict[str, Any] | None) -> str | None:
    """The URL GET /runs/{id}/files serves `artifact` at, if it is inside the run's folder."""
    if not artifact or not artifact.get("path"):
        return None
    try:
        relative = Path(artifact["path"]).relative_to(run_dir)
    except ValueError:
        return None
    return f"/runs/{quote(run_id, safe='')}/files/{quote(relative.as_posix())}"


def _tier_key(artifact: str) -> str:
    """A degraded artifact's name as the report's tiers name it ("image.02" is "images.02")."""
    kind, dot, rest = artifact.partition(".")
    return f"{DEGRADED_AS_TIER.get(kind, kind)}{dot}{rest}"


def artifacts_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Every artifact the run's report lists, with the tier that made it and whether that was degraded."""
    report = view.get("report") or {}
    degraded = {_tier_key(str(item.get("artifact"))): item for item in view.get("degraded") or []}
    rows = []
    for name, tier in (report.get("tiers") or {}).items():
        reason = (degraded.get(name) or {}).get("reason", "")
        rows.append({"name": name, "tier": tier, "degraded": bool(reason), "reason": reason})
    # Degradations of artifacts the report does not list (a run that stopped before its report).
    for name, item in degraded.items():
        if name not in (report.get("tiers") or {}):
            rows.append(
                {
                    "name": name,
                    "tier": item.get("tier", ""),
                    "degraded": True,
                    "reason": item.get("reason", ""),
                }
            )
    return rows


def scenes_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's scenes with their files' URLs, tiers and checksums."""
    run_id, run_dir = view["run_id"], view["run_dir"]
    scenes = []
    for scene in view.get("scenes") or []:
        scenes.append(
            {
                **scene,
                "image_url": _file_url(run_id, run_dir, scene.get("image")),
                "audio_url": _file_url(run_id, run_dir, scene.get("audio")),
            }
        )
    return scenes


@router.get("/ui/runs/{run_id}", response_class=HTMLResponse)
async def run_page(run_id: RunId, request: Request, ops: Ops) -> HTMLResponse:
    """One run: progress, the gate it waits at (the script editor), the player, scenes, artifacts, cost."""
    try:
        view = await ops.show_run(run_id)
    except UnknownRun as exc:
        return _page(
            request,
            "error.html",
            status_code=404,
            status=await _status(ops),
            heading="No such run",
            message=first_line(exc),
        )
    waiting = view.get("waiting") or {}
    return _page(
        request,
        "run.html",
        status=await _status(ops),
        run=view,
        waiting=waiting,
        script=waiting.get("script") if waiting.get("gate") == "script" else None,
        scenes=scenes_of(view),
        video_url=_file_url(view["run_id"], view["run_dir"], view.get("video")),
        artifacts=artifacts_of(view),
        report=view.get("report") or {},
        usage=(view.get("report") or {}).get("usage") or {},
        active=view["status"] in ACTIVE,
    )


# ---- dashboard, gallery, costs ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, ops: Ops) -> HTMLResponse:
    """The dashboard: status, the new-video form with its model picker, the runs, and the chat panel."""
    status_task = asyncio.to_thread(ops.providers)
    raw_status, records = await asyncio.gather(status_task, asyncio.to_thread(ops.list_runs, 20))
    usage = video_usage()
    return _page(
        request,
        "dashboard.html",
        status=status_view(raw_status),
        runs=_rows(records),
        picker=picker_options(ops.settings.router, raw_status),
        premium={c: premium_cost(ops.settings.router, c, usage) for c in CAPABILITIES},
        estimate_s=ESTIMATE_FOR_S,
        usage=usage,
        files_folder=str(ops.files_folder),
        form={
            "aspects": ASPECTS,
            "voices": VOICES,
            "styles": STYLES,
            "visuals": VISUALS,
            "captions": CAPTIONS,
            # Only the platforms that are set up are offered; the gallery always gets the video.
            "targets": [t for t in TARGETS if t != "gallery" and target_ready(ops.settings, t)],
            "gates": GATES,
            "min_s": MIN_DURATION_S,
            **{key: JobRequest.model_fields[key].default for key in ("voice", "style", "aspect")},
            "duration": JobRequest.model_fields["duration_s"].default,
            "max_s": MAX_DURATION_S,
        },
    )


@router.get("/ui/gallery", response_class=HTMLResponse)
async def gallery(request: Request, ops: Ops) -> HTMLResponse:
    """Every finished video, newest first, with its thumbnail and a player."""
    records, status = await asyncio.gather(asyncio.to_thread(ops.list_runs, 200, "done"), _status(ops))
    return _page(request, "gallery.html", runs=records, status=status)


def bar_rows(rows: list[dict[str, Any]], width: float = 100.0) -> list[dict[str, Any]]:
    """Rows of a cost report with bar lengths (cost and premium) scaled to `width` at the largest value."""
    top = max([max(r["cost_usd"], r["premium_usd"]) for r in rows] + [0.0])
    scale = width / top if top > 0 else 0.0
    return [
        {
            **row,
            "cost_w": round(row["cost_usd"] * scale, 2),
            "premium_w": round(row["premium_usd"] * scale, 2),
        }
        for row in rows
    ]


def day_columns(rows: list[dict[str, Any]], since: str, height: float = 130.0) -> list[dict[str, Any]]:
    """One column per day from `since` (ISO) to today, empty days included, heights scaled to `height`."""
    by_day = {row["key"]: row for row in rows}
    start = datetime.fromisoformat(since).date()
    today = datetime.now(UTC).date()
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)][-60:]
    known = [date.fromisoformat(key) for key in by_day if _is_date(key)]
    days = sorted(set(days) | {d for d in known if d >= start})
    top = max([max(r["cost_usd"], r["premium_usd"]) for r in rows] + [0.0])
    scale = height / top if top > 0 else 0.0
    columns = []
    for day in days:
        row = by_day.get(day.isoformat(), {"calls": 0, "cost_usd": 0.0, "premium_usd": 0.0})
        columns.append(
            {
                "day": day.isoformat(),
                "label": day.strftime("%d %b"),
                "calls": row["calls"],
                "cost_usd": row["cost_usd"],
                "premium_usd": row["premium_usd"],
                "cost_h": round(row["cost_usd"] * scale, 2),
                "premium_h": round(row["premium_usd"] * scale, 2),
            }
        )
    return columns


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@router.get("/ui/costs", response_class=HTMLResponse)
async def costs(
    request: Request, ops: Ops, since: Annotated[str, Query(max_length=40)] = "7d"
) -> HTMLResponse:
    """Costs by provider and by day as bar charts (inline SVG), with savings versus premium."""
    if since not in SINCE_CHOICES:
        since = "7d"
    by_provider, by_day, status = await asyncio.gather(
        asyncio.to_thread(ops.costs, since, "provider"),
        asyncio.to_thread(ops.costs, since, "day"),
        _status(ops),
    )
    return _page(
        request,
        "costs.html",
        status=status,
        since=since,
        choices=SINCE_CHOICES,
        totals=by_provider["totals"],
        providers=bar_rows(by_provider["rows"]),
        days=day_columns(by_day["rows"], by_day["since"]),
    )


# ---- login -----------------------------------------------------------------------------------------------


def _inline_css() -> Markup:
    # The login page loads before the token cookie exists, and /static needs the token: inline the sheet.
    return Markup((STATIC / "app.css").read_text(encoding="utf-8"))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The form that trades the server's token for a login cookie."""
    return _page(request, "login.html", css=_inline_css(), error="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the token; when it matches, set the HttpOnly cookie the Guard accepts and go to the dashboard."""
    ops: Operations = request.app.state.ops
    expected = ops.settings.api_token
    if not expected:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    given = form.get("token")
    given = given.strip() if isinstance(given, str) else None
    if not token_matches(given, expected):
        return _page(
            request,
            "login.html",
            status_code=401,
            css=_inline_css(),
            error="that is not this server's token; copy REELFORGE_API_TOKEN exactly and try again",
        )
    if not _COOKIE_SAFE.match(expected):
        return _page(
            request,
            "login.html",
            status_code=400,
            css=_inline_css(),
            error="this token has characters a cookie cannot carry; use letters, digits and -._~ in "
            "REELFORGE_API_TOKEN, or send it as 'Authorization: Bearer'",
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        expected,
        max_age=LOGIN_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    """Forget the login cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response
