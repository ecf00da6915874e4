"""Tests of `reelforge costs` and `reelforge status` run for real: totals, health, logs and cooldowns."""

from __future__ import annotations

import io
import json
import math
import sqlite3
import struct
import time
import wave
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.model_status import cost_report
from graph.router_config import load_router_settings
from graph.services import Services
from graph.settings import Settings
from state.model_calls import Routed, SpeechRequest
from tests.conftest import CliResult, run_cli
from tests.servers.comfyui import DEFAULT_CHECKPOINTS, ComfyUIServer
from tests.servers.coqui import CoquiServer
from tests.servers.harness import refused_url
from tests.servers.ollama import OllamaServer
from tests.servers.openai import OpenAIServer
from tools.models.service import ModelRouter
from tools.storage.ledger_records import HealthRecord, UsageRecord
from tools.storage.sqlite_ledger import UsageLedger

# Rich wraps at 80 columns when stdout is not a terminal; a wide console keeps each table line whole.
WIDE = {"COLUMNS": "200"}


Call = tuple[Path, tuple[str, ...], dict[str, str]]


def one_line(text: str) -> str:
    """`text` with its whitespace collapsed, so a wrapped line still matches."""
    return " ".join(text.split())


# --- A. reelforge costs -------------------------------------------------------------------------------

# Three moments: T0 within the last day, T3 three days ago, T10 ten days ago (same ts within a moment, so
# each moment is one UTC day even near midnight).
# Ten calls, two runs, three providers (ollama self-hosted, openai cloud, offline), three failures:
#   R1  run-a T0  ollama  text    ok    cost 0.0002  premium 0.0030
#   R2  run-a T0  ollama  text    FAIL  cost 0.0001  premium 0
#   R3  run-b T0  openai  image   ok    cost 0.0400  premium 0.0800
#   R4  run-a T0  offline speech  ok    cost 0       premium 0.0150
#   R5  run-b T3  ollama  text    ok    cost 0.0003  premium 0.0050
#   R6  run-b T3  openai  text    FAIL  cost 0       premium 0
#   R7  run-b T3  openai  text    ok    cost 0.0012  premium 0.0200
#   R8  run-b T3  offline image   ok    cost 0       premium 0.0800
#   R9  run-a T10 openai  image   ok    cost 0.0400  premium 0.0800
#   R10 run-a T10 ollama  text    FAIL  cost 0.0001  premium 0
CALLS = [
    # (run, moment, provider, tier, capability, ok, cost, premium)
    ("run-a", 0, "ollama", "self-hosted", "text", True, 0.0002, 0.0030),
    ("run-a", 0, "ollama", "self-hosted", "text", False, 0.0001, 0.0),
    ("run-b", 0, "openai", "cloud", "image", True, 0.0400, 0.0800),
    ("run-a", 0, "offline", "offline", "speech", True, 0.0, 0.0150),
    ("run-b", 3, "ollama", "self-hosted", "text", True, 0.0003, 0.0050),
    ("run-b", 3, "openai", "cloud", "text", False, 0.0, 0.0),
    ("run-b", 3, "openai", "cloud", "text", True, 0.0012, 0.0200),
    ("run-b", 3, "offline", "offline", "image", True, 0.0, 0.0800),
    ("run-a", 10, "openai", "cloud", "image", True, 0.0400, 0.0800),
    ("run-a", 10, "ollama", "self-hosted", "text", False, 0.0001, 0.0),
]

# "iso" is the date two days ago: its midnight lies after T3, so only the T0 calls (R1-R4) count.
# 7d counts R1-R8; 30d counts all ten.
# Totals: (calls, failures, cost_usd, premium_usd, savings_usd, self_hosted_share).
EXPECTED_TOTALS: dict[str, tuple[int, int, float, float, float, float]] = {
    # cost 0.0002+0.0001+0.04+0 = 0.0403; premium 0.003+0.08+0.015 = 0.098; ok self-hosted R1 of 3
    "iso": (4, 1, 0.0403, 0.0980, 0.0577, 0.3333),  # savings 0.0980-0.0403; share 1/3
    # cost 0.0403+0.0003+0.0012 = 0.0418; premium 0.098+0.005+0.02+0.08 = 0.203; ok self-hosted R1,R5 of 6
    "7d": (8, 2, 0.0418, 0.2030, 0.1612, 0.3333),  # savings 0.2030-0.0418; share 2/6
    # cost 0.0418+0.04+0.0001 = 0.0819; premium 0.203+0.08 = 0.283; ok self-hosted R1,R5 of 7
    "30d": (10, 3, 0.0819, 0.2830, 0.2011, 0.2857),  # savings 0.2830-0.0819; share 2/7
}
# Rows: (key, calls, failures, cost_usd, premium_usd, savings_usd). Provider and run: largest cost first;
# day: chronological ("D0", "D3", "D10" stand for the UTC dates of T0, T3 and T10).
EXPECTED_ROWS: dict[tuple[str, str], list[tuple[str, int, int, float, float, float]]] = {
    ("provider", "iso"): [
        ("openai", 1, 0, 0.0400, 0.0800, 0.0400),  # R3
        ("ollama", 2, 1, 0.0003, 0.0030, 0.0027),  # R1,R2: 0.0002+0.0001; 0.0030-0.0003
        ("offline", 1, 0, 0.0, 0.0150, 0.0150),  # R4
    ],
    ("provider", "7d"): [
        ("openai", 3, 1, 0.0412, 0.1000, 0.0588),  # R3,R6,R7: 0.04+0+0.0012; 0.08+0+0.02
        ("ollama", 3, 1, 0.0006, 0.0080, 0.0074),  # R1,R2,R5: 0.0002+0.0001+0.0003; 0.003+0.005
        ("offline", 2, 0, 0.0, 0.0950, 0.0950),  # R4,R8: 0.015+0.08
    ],
    ("provider", "30d"): [
        ("openai", 4, 1, 0.0812, 0.1800, 0.0988),  # + R9: 0.0412+0.04; 0.10+0.08
        ("ollama", 4, 2, 0.0007, 0.0080, 0.0073),  # + R10: 0.0006+0.0001
        ("offline", 2, 0, 0.0, 0.0950, 0.0950),
    ],
    ("day", "iso"): [
        ("D0", 4, 1, 0.0403, 0.0980, 0.0577),  # R1-R4
    ],
    ("day", "7d"): [
        ("D3", 4, 1, 0.0015, 0.1050, 0.1035),  # R5-R8: 0.0003+0.0012; 0.005+0.02+0.08
        ("D0", 4, 1, 0.0403, 0.0980, 0.0577),
    ],
    ("day", "30d"): [
        ("D10", 2, 1, 0.0401, 0.0800, 0.0399),  # R9,R10: 0.04+0.0001
        ("D3", 4, 1, 0.0015, 0.1050, 0.1035),
        ("D0", 4, 1, 0.0403, 0.0980, 0.0577),
    ],
    ("run", "iso"): [
        ("run-b", 1, 0, 0.0400, 0.0800, 0.0400),  # R3
        ("run-a", 3, 1, 0.0003, 0.0180, 0.0177),  # R1,R2,R4: 0.003+0.015
    ],
    ("run", "7d"): [
        ("run-b", 5, 1, 0.0415, 0.1850, 0.1435),  # R3,R5-R8: 0.04+0.0003+0.0012; 0.08+0.005+0.02+0.08
        ("run-a", 3, 1, 0.0003, 0.0180, 0.0177),
    ],
    ("run", "30d"): [
        ("run-b", 5, 1, 0.0415, 0.1850, 0.1435),
        ("run-a", 5, 2, 0.0404, 0.0980, 0.0576),  # + R9,R10: 0.0003+0.0401; 0.018+0.08
    ],
}

# Through the real CLI: each grouping once and each period once (the full grid runs in-process).
CLI_CASES = [("provider", "7d"), ("day", "30d"), ("run", "iso")]


RIGHT_KEY = "right-key-5f3a9c71e2"
# Not shaped like an sk-... key, so a leak would not be hidden by the shape-based redactor.
WRONG_KEY = "wrong-key-8d2b71c4a9"
CLOUD_MODELS = ["gpt-4o-mini", "dall-e-3", "gpt-4o-mini-tts"]


@dataclass
class Background:
    """CLI calls that depend on nothing else, started together (each spends seconds importing)."""

    costs_home: Path
    empty_home: Path
    iso: str
    days: dict[str, str]
    cloud_homes: dict[str, Path]
    cloud_base: str
    futures: dict[str, Future[CliResult]]
    timeline: Future[Timeline]

    def result(self, name: str) -> CliResult:
        """Wait for one of the calls."""
        return self.futures[name].result()


def record_calls(ledger: UsageLedger, moments: dict[int, float]) -> None:
    """Write CALLS into `ledger` at their moments."""
    for run_id, moment, provider, tier, capability, ok, cost, premium in CALLS:
        ledger.record(
            UsageRecord(
                run_id=run_id,
                node="write_script" if capability == "text" else f"make_{capability}",
                capability=capability,
                provider=provider,
                tier=tier,
                model=f"{provider}-{capability}",
                ok=ok,
                wall_ms=1200.0,
                cost_usd=cost,
                premium_usd=premium,
                error_class="" if ok else "timeout",
                error="" if ok else "read timed out",
                ts=moments[moment],
            )
        )


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    """Start the status timeline, every `costs` call and both cloud `status` calls at once.

    The tests then wait for what they check: the whole module costs about as long as its slowest part.
    """
    root = tmp_path_factory.mktemp("background")
    homes = {name: root / name for name in ("costs", "no-ledger", "cloud-right", "cloud-wrong", "status")}
    for path in homes.values():
        path.mkdir()
    now = time.time()
    moments = {0: now - 60, 3: now - 3 * 86400, 10: now - 10 * 86400}
    record_calls(UsageLedger(homes["costs"] / "ledger.sqlite"), moments)
    iso = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    days = {f"D{m}": datetime.fromtimestamp(ts, UTC).date().isoformat() for m, ts in moments.items()}
    since = {"7d": "7d", "30d": "30d", "iso": iso}
    calls: dict[str, Call] = {
        f"{by}/{label}": (homes["costs"], ("costs", "--json", "--by", by, "--since", since[label]), {})
        for by, label in CLI_CASES
    }
    calls["table"] = (homes["costs"], ("costs", "--since", "30d"), WIDE)
    calls["by week"] = (homes["costs"], ("costs", "--by", "week"), {})
    calls["since yesterday"] = (homes["costs"], ("costs", "--since", "yesterday"), {})
    calls["no ledger"] = (homes["no-ledger"], ("costs",), {})
    with OpenAIServer() as server, ThreadPoolExecutor(max_workers=4) as pool:
        # The timeline is three CLI calls in a row: start it first.
        timeline = pool.submit(run_timeline, homes["status"])
        assert isinstance(server, OpenAIServer)
        server.api_key = RIGHT_KEY
        server.models = list(CLOUD_MODELS)
        base = f"{server.url}/v1"
        # The self-hosted servers point where nothing listens, whatever runs on this machine's default ports.
        down = {"OLLAMA_HOST": refused_url(), "COMFYUI_URL": refused_url(), "COQUI_TTS_URL": refused_url()}
        for name, key in (("right", RIGHT_KEY), ("wrong", WRONG_KEY)):
            env = {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": base, **down}
            calls[f"cloud {name}"] = (homes[f"cloud-{name}"], ("status", "--json"), env)
        futures = {
            name: pool.submit(run_cli, home, *args, timeout=120, **env)
            for name, (home, args, env) in calls.items()
        }
        yield Background(
            homes["costs"],
            homes["no-ledger"],
            iso,
            days,
            {"right": homes["cloud-right"], "wrong": homes["cloud-wrong"]},
            base,
            futures,
            timeline,
        )


def assert_report(report: dict[str, Any], by: str, since: str, days: dict[str, str]) -> None:
    """`report` has the totals and rows worked out by hand above for (by, since)."""
    assert report["by"] == by
    calls, failures, cost, premium, savings, share = EXPECTED_TOTALS[since]
    totals = report["totals"]
    assert totals["calls"] == calls
    assert totals["failures"] == failures
    assert totals["cost_usd"] == pytest.approx(cost)
    assert totals["premium_usd"] == pytest.approx(premium)
    assert totals["savings_usd"] == pytest.approx(savings)
    assert totals["self_hosted_share"] == pytest.approx(share)

    expected = EXPECTED_ROWS[(by, since)]
    rows = report["rows"]
    assert [row["key"] for row in rows] == [days.get(key, key) for key, *_ in expected]
    for row, (_, calls, failures, cost, premium, savings) in zip(rows, expected, strict=True):
        assert row["calls"] == calls
        assert row["failures"] == failures
        assert row["cost_usd"] == pytest.approx(cost)
        assert row["premium_usd"] == pytest.approx(premium)
        assert row["savings_usd"] == pytest.approx(savings)


@pytest.mark.parametrize(("by", "since"), CLI_CASES)
def test_costs_json_matches_the_hand_computed_totals_and_rows(background: Background, by: str, since: str):
    result = background.result(f"{by}/{since}")
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert_report(result.json(), by, since, background.days)


@pytest.mark.parametrize("since", ["7d", "30d", "iso"])
@pytest.mark.parametrize("by", ["provider", "day", "run"])
def test_cost_report_matches_by_hand_for_every_grouping_and_period(
    background: Background, by: str, since: str
):
    # The rest of the grid, in-process through the function the command calls (a CLI call costs seconds).
    services = Services(Settings(home=background.costs_home))
    report = cost_report(services, background.iso if since == "iso" else since, by)  # type: ignore[arg-type]
    assert_report(report, by, since, background.days)


def test_costs_since_reports_where_the_period_starts(background: Background):
    iso = background.result("run/iso").json()["since"]
    assert iso == f"{background.iso}T00:00:00+00:00"
    seven = datetime.fromisoformat(background.result("provider/7d").json()["since"])
    assert abs(seven - (datetime.now(UTC) - timedelta(days=7))) < timedelta(minutes=2)


def test_costs_table_shows_the_rows_the_totals_line_and_the_savings(background: Background):
    result = background.result("table")
    assert result.code == 0, result.stderr
    text = one_line(result.stdout)
    assert (
        "total $0.0819 for 10 calls (3 failed); self-hosted share 29%; saved $0.2011 versus premium" in text
    )
    lines = result.stdout.splitlines()
    openai = next(line for line in lines if "openai" in line)
    assert "$0.0812" in openai and "$0.1800" in openai and "$0.0988" in openai
    order = [name for line in lines for name in ("openai", "ollama", "offline") if name in line.split()]
    assert order == ["openai", "ollama", "offline"]


@pytest.mark.parametrize(
    ("name", "needle"), [("by week", "cannot group by 'week'"), ("since yesterday", "'yesterday'")]
)
def test_costs_rejects_a_bad_option_with_one_line_and_exit_2(background: Background, name: str, needle: str):
    result = background.result(name)
    assert result.code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_costs_without_a_ledger_says_no_calls_and_creates_nothing(background: Background):
    result = background.result("no ledger")
    assert result.code == 0, result.stderr
    assert "no model calls recorded" in result.stdout
    assert not (background.empty_home / "ledger.sqlite").exists()


# --- B, C, D. reelforge status over a changing set of servers ------------------------------------------


def tone_wav() -> bytes:
    """One second of a 440 Hz tone at 22050 Hz, mono 16-bit, amplitude 8000: the offline voice's answer."""
    rate = 22_050
    samples = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate)]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{rate}h", *samples))
    return buffer.getvalue()


@dataclass
class Timeline:
    """Three `status` runs in one home, with the servers changed between them, and what each left behind."""

    home: Path
    urls: dict[str, str]
    statuses: list[dict[str, Any]] = field(default_factory=list)
    # The provider_* log lines each run appended to <home>/logs/reelforge.log.
    events: list[list[dict[str, Any]]] = field(default_factory=list)
    health_rows: list[int] = field(default_factory=list)
    latest_health: list[dict[tuple[str, str], HealthRecord]] = field(default_factory=list)
    # D: a router built right after the first run, and the calls it ledgered.
    speech: Routed | None = None
    speech_usage: list[UsageRecord] = field(default_factory=list)


def _log_lines(home: Path) -> list[dict[str, Any]]:
    path = home / "logs" / "reelforge.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run_timeline(home: Path) -> Timeline:
    """One home, three status runs (each costs seconds, so one sequence serves B, C and D).

    1. Ollama up with qwen3:8b, ComfyUI without the default checkpoint, Coqui refused; then D's router.
    2. Ollama answers 500, the checkpoint is installed, Coqui is up.
    3. Ollama healed: everything is up.
    """
    ledger = UsageLedger(home / "ledger.sqlite")
    with OllamaServer(pulled_models=["qwen3:8b"]) as ollama, ComfyUIServer() as comfy, CoquiServer() as coqui:
        assert isinstance(comfy, ComfyUIServer)
        refused = refused_url()
        urls = {"ollama": ollama.url, "comfyui": comfy.url, "refused": refused, "coqui": coqui.url}
        line = Timeline(home, urls)

        def status(coqui_url: str) -> None:
            before = len(_log_lines(home))
            result = run_cli(
                home,
                "status",
                "--json",
                OLLAMA_HOST=ollama.url,
                COMFYUI_URL=comfy.url,
                COQUI_TTS_URL=coqui_url,
            )
            assert result.code == 0, result.stderr
            line.statuses.append(result.json())
            line.events.append([e for e in _log_lines(home)[before:] if e["event"].startswith("provider_")])
            with closing(sqlite3.connect(home / "ledger.sqlite")) as conn:
                line.health_rows.append(conn.execute("SELECT COUNT(*) FROM health").fetchone()[0])
            line.latest_health.append(ledger.latest_health())

        comfy.checkpoints = [name for name in DEFAULT_CHECKPOINTS if name != "sd_xl_base_1.0.safetensors"]
        status(refused)

        # D: within the cooldown (120 s by default) of the failed check, a run's router skips Coqui.
        router = ModelRouter(load_router_settings(home, environ={"COQUI_TTS_URL": refused}), ledger, "r")
        line.speech = router.speech(SpeechRequest("Hello from the test.", offline=tone_wav), "narrate")
        line.speech_usage = ledger.usage(run_id="r")

        ollama.fail("500", times=None, path="/api/tags")
        comfy.checkpoints = list(DEFAULT_CHECKPOINTS)
        status(coqui.url)
        ollama.heal()
        status(coqui.url)
    return line


@pytest.fixture(scope="module")
def timeline(background: Background) -> Timeline:
    """The status timeline, run in the background alongside the other CLI calls."""
    return background.timeline.result()


def _row(status: dict[str, Any], capability: str, provider: str) -> dict[str, Any]:
    (row,) = [r for r in status["providers"] if r["capability"] == capability and r["provider"] == provider]
    return row


def test_status_reports_each_provider_and_the_offline_mode(timeline: Timeline):
    first = timeline.statuses[0]
    urls = timeline.urls
    shape = [
        (r["capability"], r["tier"], r["provider"], r["endpoint"], r["configured"], r["healthy"])
        for r in first["providers"]
    ]
    # Every provider in the order calls try them; those not set up say what to set.
    assert shape == [
        ("text", "self-hosted", "ollama", urls["ollama"], True, True),
        ("text", "self-hosted", "openai_compatible", "", False, False),
        ("text", "cloud", "huggingface", "https://router.huggingface.co/hf-inference", False, False),
        ("text", "cloud", "openai", "https://api.openai.com/v1", False, False),
        ("text", "cloud", "groq", "https://api.groq.com/openai/v1", False, False),
        ("text", "free", "pollinations_text", "https://text.pollinations.ai/openai", False, False),
        ("text", "offline", "offline", "local", True, True),
        ("image", "self-hosted", "comfyui", urls["comfyui"], True, False),
        ("image", "cloud", "huggingface", "https://router.huggingface.co/hf-inference", False, False),
        ("image", "cloud", "openai", "https://api.openai.com/v1", False, False),
        # The free tier: tried when it answers (open media, Pollinations) or has a key (stock media).
        ("image", "free", "openverse", "https://api.openverse.org", False, False),
        ("image", "free", "commons", "https://commons.wikimedia.org", False, False),
        ("image", "free", "pexels", "https://api.pexels.com", False, False),
        ("image", "free", "pixabay", "https://pixabay.com", False, False),
        ("image", "free", "pollinations_image", "https://image.pollinations.ai", False, False),
        ("image", "offline", "offline", "local", True, True),
        ("speech", "self-hosted", "coqui", urls["refused"], True, False),
        ("speech", "cloud", "huggingface", "https://router.huggingface.co/hf-inference", False, False),
        ("speech", "cloud", "openai", "https://api.openai.com/v1", False, False),
        ("speech", "free", "pollinations_speech", "https://text.pollinations.ai", False, False),
        ("speech", "offline", "offline", "local", True, True),
    ]
    assert _row(first, "text", "groq")["error"] == "set GROQ_API_KEY"
    assert _row(first, "image", "huggingface")["error"] == "set HF_TOKEN"
    # The suite keeps the free tier's public services off (tests/conftest.py); the rows say how it is off.
    for name in ("openverse", "pexels", "pixabay", "pollinations_image"):
        assert _row(first, "image", name)["error"].startswith("off: third_party_free is false")
    ollama = _row(first, "text", "ollama")
    assert ollama["models"] == ["qwen3:8b"] and ollama["error"] == ""
    comfy = _row(first, "image", "comfyui")
    assert "sd_xl_base_1.0.safetensors" in comfy["error"] and "not installed" in comfy["error"]
    assert "sd_xl_base_1.0.safetensors" not in comfy["models"]
    coqui = _row(first, "speech", "coqui")
    assert urls["refused"] in coqui["error"] and "could not connect" in coqui["error"]
    for capability in ("text", "image", "speech"):
        assert _row(first, capability, "offline")["error"] == ""
    assert first["capabilities"] == {"text": "SELF-HOSTED", "image": "OFFLINE", "speech": "OFFLINE"}
    assert first["mode"] == "OFFLINE"


def test_status_is_self_hosted_once_every_self_hosted_provider_answers(timeline: Timeline):
    last = timeline.statuses[2]
    assert all(row["healthy"] for row in last["providers"] if row["configured"])
    assert _row(last, "speech", "coqui")["endpoint"] == timeline.urls["coqui"]
    assert "sd_xl_base_1.0.safetensors" in _row(last, "image", "comfyui")["models"]
    assert last["capabilities"] == {"text": "SELF-HOSTED", "image": "SELF-HOSTED", "speech": "SELF-HOSTED"}
    assert last["mode"] == "SELF-HOSTED"


def test_status_with_ollama_failing_serves_text_offline(timeline: Timeline):
    middle = timeline.statuses[1]
    ollama = _row(middle, "text", "ollama")
    assert ollama["configured"] is True and ollama["healthy"] is False and "500" in ollama["error"]
    assert middle["capabilities"] == {"text": "OFFLINE", "image": "SELF-HOSTED", "speech": "SELF-HOSTED"}
    assert middle["mode"] == "OFFLINE"


def test_each_status_run_appends_its_checks_to_the_health_table(timeline: Timeline):
    # The free tier is off in the suite: nothing of it is checked.
    assert timeline.health_rows == [6, 12, 18]
    first, second, third = timeline.latest_health
    assert set(first) == {
        ("ollama", "text"),
        ("offline", "text"),
        ("comfyui", "image"),
        ("offline", "image"),
        ("coqui", "speech"),
        ("offline", "speech"),
    }
    assert first[("coqui", "speech")].healthy is False
    assert first[("coqui", "speech")].endpoint == timeline.urls["refused"]
    assert first[("comfyui", "image")].healthy is False
    assert first[("ollama", "text")].healthy is True
    assert second[("ollama", "text")].healthy is False and "500" in second[("ollama", "text")].error
    assert second[("coqui", "speech")].endpoint == timeline.urls["coqui"]
    assert second[("coqui", "speech")].ts > first[("coqui", "speech")].ts
    # Every server the test runs answers; the free tier's public sites cannot be reached from here.
    public = ("openverse", "commons", "pollinations_text", "pollinations_image", "pollinations_speech")
    assert all(check.healthy for (name, _), check in third.items() if name not in public)


def test_status_logs_provider_transitions_only(timeline: Timeline):
    def brief(events: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
        return [(e["event"], e["level"], e["provider"], e["capability"]) for e in events]

    first, second, third = (brief(events) for events in timeline.events)
    # A configured provider that is down at its first check is news; the offline tier never is.
    assert first == [
        ("provider_down", "warning", "comfyui", "image"),
        ("provider_down", "warning", "coqui", "speech"),
    ]
    assert second == [
        ("provider_down", "warning", "ollama", "text"),
        ("provider_recovered", "info", "comfyui", "image"),
        ("provider_recovered", "info", "coqui", "speech"),
    ]
    assert third == [("provider_recovered", "info", "ollama", "text")]
    down = timeline.events[1][0]
    assert "500" in down["error"]
    assert "timestamp" in down


def test_a_failed_health_check_cools_the_provider_down_for_the_router(timeline: Timeline):
    routed = timeline.speech
    assert routed is not None
    assert routed.provider == "offline" and routed.tier == "offline"
    assert routed.degraded is not None and "cooling_down" in routed.degraded
    assert routed.failures and routed.failures[0].startswith("coqui (self-hosted): cooling_down")
    # Coqui was skipped at once: never called, so no failed call of it in the ledger.
    assert [(u.provider, u.ok) for u in timeline.speech_usage] == [("offline", True)]
    assert timeline.speech_usage[0].audio_s == pytest.approx(1.0, abs=0.01)


# --- B, continued: only the cloud tier configured ------------------------------------------------------


def test_status_with_only_openai_configured_is_cloud_and_a_wrong_key_stays_secret(background: Background):
    base = background.cloud_base
    good = background.result("cloud right")
    assert good.code == 0, good.stderr
    report = good.json()
    openai = [r for r in report["providers"] if r["provider"] == "openai"]
    assert [(r["capability"], r["tier"], r["endpoint"], r["configured"], r["healthy"]) for r in openai] == [
        ("text", "cloud", base, True, True),
        ("image", "cloud", base, True, True),
        ("speech", "cloud", base, True, True),
    ]
    assert all(r["models"] == CLOUD_MODELS for r in openai)
    for name in ("ollama", "comfyui", "coqui"):
        (row,) = [r for r in report["providers"] if r["provider"] == name]
        assert row["configured"] is True and row["healthy"] is False
    assert report["capabilities"] == {"text": "CLOUD", "image": "CLOUD", "speech": "CLOUD"}
    assert report["mode"] == "CLOUD"
    assert RIGHT_KEY not in good.stdout + good.stderr

    bad = background.result("cloud wrong")
    assert bad.code == 0, bad.stderr
    report = bad.json()
    openai = [r for r in report["providers"] if r["provider"] == "openai"]
    assert len(openai) == 3
    for row in openai:
        assert row["healthy"] is False and row["configured"] is True
        assert "refused (401)" in row["error"]
    assert report["capabilities"] == {"text": "OFFLINE", "image": "OFFLINE", "speech": "OFFLINE"}
    assert report["mode"] == "OFFLINE"
    log = (background.cloud_homes["wrong"] / "logs" / "reelforge.log").read_text()
    assert "provider_down" in log
    for text in (bad.stdout, bad.stderr, log):
        assert WRONG_KEY not in text
        assert RIGHT_KEY not in text
