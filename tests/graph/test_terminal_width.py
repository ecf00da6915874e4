"""`runs`, `status`, `costs` and `show` fit the terminal: at 80 columns no line is longer, run ids are never
cut or wrapped, low-value columns give way first, and an all-offline ledger claims no savings."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rich.console import Console

from graph.model_status import cost_report, provider_status, render_costs, render_status
from graph.run_display import render_runs
from graph.services import Services
from graph.settings import Settings, load_settings
from graph.table_fit import FitColumn, Variant, choose_layout
from tests.conftest import CliResult, run_cli
from tools.models.pricing import savings_words
from tools.storage.ledger_records import UsageRecord
from tools.storage.run_records import RunRecord
from tools.storage.sqlite_ledger import UsageLedger

# The longest id check_run_id accepts, and the longest a topic gives (a 40-character slug and a hash).
LONGEST_ID = "a" * 35 + "-very-long-run-id-named-by-hand-for-this-" + "x" * 4
TOPIC = "how bees make honey and why a colony of forty thousand workers needs its queen"
WIDTHS = [40, 60, 80, 100, 120, 200]


def _printed(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text().splitlines()


def _record(run_id: str, status: str, topic: str, gate: str | None = None) -> RunRecord:
    now = "2026-12-04T21:02:08+00:00"
    return RunRecord(run_id, f"make:{run_id}", topic, status, now, now, {}, None, None, gate=gate)


RECORDS = [
    _record("tea-4bad4b", "waiting", "tea", gate="script"),
    _record("how-bees-make-honey-and-why-a-colony-of-d9686f", "done", TOPIC),
    _record(LONGEST_ID, "failed", "a run named by hand"),
    _record("solar-eclipses-bd36aa", "stopped", "solar eclipses"),
]


def test_the_longest_id_is_the_longest_a_run_may_have():
    from graph.run_ids import check_run_id

    assert len(LONGEST_ID) == 80 and check_run_id(LONGEST_ID) == LONGEST_ID


@pytest.mark.parametrize("width", WIDTHS)
def test_runs_keeps_every_id_whole_on_one_line_at_any_width(width: int):
    for records in (RECORDS, RECORDS[:2] + RECORDS[3:]):
        lines = _printed(render_runs(records), width)
        assert max(len(line) for line in lines) <= width, "\n".join(lines)
        for record in records:
            if len(record.run_id) <= width:
                assert any(record.run_id in line for line in lines), (record.run_id, "\n".join(lines))
            else:  # wider than the terminal: folded over lines of its own, as the terminal would wrap it
                assert record.run_id in "".join(line.strip() for line in lines)
        # The topic is kept (wrapped if need be), so every word of it is shown somewhere.
        shown = " ".join(lines)
        assert all(word in shown for word in TOPIC.split())


def test_runs_gives_way_in_order_update_time_first_then_the_topic_moves_under_the_id():
    records = RECORDS[:2] + RECORDS[3:]
    wide, middle, narrow = (_printed(render_runs(records), width) for width in (200, 100, 80))
    assert "updated" in wide[1] and "2026-12-04 21:02" in "".join(wide)
    assert "updated" not in middle[1] and "topic" in middle[1]
    assert "run id / topic" in narrow[1]
    # At 80 columns each run id still has a row of its own, its topic on the next line.
    bees = next(
        i for i, line in enumerate(narrow) if "how-bees-make-honey-and-why-a-colony-of-d9686f" in line
    )
    assert "how bees make honey" in narrow[bees + 1]


def test_a_table_that_cannot_fit_becomes_lines_with_the_id_on_its_own():
    lines = _printed(render_runs(RECORDS), 80)
    assert LONGEST_ID in lines, "an 80-character id is a whole line at 80 columns"
    assert lines[lines.index(LONGEST_ID) + 1].strip() == "failed · a run named by hand"


def test_choose_layout_never_drops_a_required_column():
    columns = [
        FitColumn("id", (Variant("id", ["x" * 30]),), required=True),
        FitColumn("note", (Variant("note", ["y" * 30]),)),
    ]
    assert [v.header for v, _ in choose_layout(columns, [("note",)], 80) or []] == ["id", "note"]
    assert [v.header for v, _ in choose_layout(columns, [("note",), ("id",)], 40) or []] == ["id"]
    assert choose_layout(columns, [("note",), ("id",)], 30) is None


@pytest.mark.parametrize("width", [80, 120])
def test_status_fits_and_keeps_what_matters(tmp_path: Path, width: int):
    status = provider_status(Services(load_settings(home=tmp_path)))
    lines = _printed(render_status(status), width)
    assert max(len(line) for line in lines) <= width, "\n".join(lines)
    header = next(line for line in lines if "capability" in line)
    for kept in ("capability", "provider", "healthy", "last error"):
        assert kept in header
    assert "latency" not in header, "latency is the first to go"
    # Provider names and the variables to set are never cut.
    text = "\n".join(lines)
    for needed in ("pollinations_speech", "OPENAI_API_KEY", "GROQ_API_KEY", "COQUI_TTS_URL"):
        assert needed in text


def test_status_shows_every_column_when_there_is_room(tmp_path: Path):
    lines = _printed(render_status(provider_status(Services(load_settings(home=tmp_path)))), 240)
    header = next(line for line in lines if "capability" in line)
    for column in ("tier", "endpoint", "latency", "models"):
        assert column in header
    assert "https://router.huggingface.co/hf-inference" in "\n".join(lines)


def _ledger_home(tmp_path: Path, rows: list[tuple[str, str, str, float, float]]) -> Services:
    ledger = UsageLedger(tmp_path / "ledger.sqlite")
    for run_id, provider, tier, cost, premium in rows:
        ledger.record(
            UsageRecord(
                run_id=run_id,
                node="write_script",
                capability="text",
                provider=provider,
                tier=tier,
                model="m",
                ok=True,
                wall_ms=10.0,
                cost_usd=cost,
                premium_usd=premium,
                ts=time.time() - 60,
            )
        )
    return Services(Settings(home=tmp_path))


def test_costs_by_run_keeps_run_ids_whole_and_claims_no_savings_for_offline_calls(tmp_path: Path):
    services = _ledger_home(
        tmp_path,
        [(LONGEST_ID[:60], "offline", "offline", 0.0, 0.0), ("tea-4bad4b", "offline", "offline", 0.0, 0.0)],
    )
    for width in (80, 120):
        lines = _printed(render_costs(cost_report(services, "7d", "run")), width)
        text = "\n".join(lines)
        assert max(len(line) for line in lines) <= width, text
        assert any(LONGEST_ID[:60] in line for line in lines)
        assert "saved" not in text and "premium" not in text
        assert "no savings" in " ".join(text.split())


def test_costs_with_real_savings_shows_them_and_narrows_the_premium_column_first(tmp_path: Path):
    services = _ledger_home(
        tmp_path,
        [
            ("how-bees-make-honey-and-why-a-colony-of-d9686f", "ollama", "self-hosted", 0.0002, 0.0102),
            ("tea-4bad4b", "openai", "cloud", 0.0400, 0.0400),
        ],
    )
    report = cost_report(services, "7d", "run")
    wide = "\n".join(_printed(render_costs(report), 200))
    assert "premium would be" in wide and "saved $0.0100 versus premium" in " ".join(wide.split())
    narrow = _printed(render_costs(report), 80)
    assert max(len(line) for line in narrow) <= 80
    assert any("how-bees-make-honey-and-why-a-colony-of-d9686f" in line for line in narrow)
    header = next(line for line in narrow if "calls" in line)
    assert "saved" in header and "premium" not in header, "the premium column goes before the savings"
    assert "$0.0100" in "\n".join(narrow)


def test_savings_words_never_say_saved_for_nothing():
    assert savings_words(0.0) == "no savings: no call was answered in place of a paid cloud provider"
    assert savings_words(-0.0) == savings_words(0.00004)
    assert savings_words(0.0123) == "saved $0.0123 versus premium"
    assert savings_words(-0.002).startswith("no savings: self-hosting cost $0.0020 more")


# --- the real commands in a test home, at 80 columns -----------------------------------------------------


def _make(home: Path, topic: str, *extra: str) -> str:
    result = run_cli(
        home,
        "make",
        topic,
        "--preview",
        "--duration",
        "10",
        "--voice",
        "espeak",
        "--review",
        *extra,
        "--json",
    )
    assert result.code == 0, result.stderr
    return str(result.json()["run_id"])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, CliResult]]:
    """A home with three runs waiting at the script gate (all offline), and every listing at 80 columns."""
    home = tmp_path_factory.mktemp("narrow")
    topics = [
        (TOPIC,),
        ("the history of coffee in Ethiopia and Yemen", "--run-id", "coffee-history-ethiopia-yemen-2026"),
        ("tea",),
    ]
    with ThreadPoolExecutor(max_workers=len(topics)) as pool:
        ids = list(pool.map(lambda args: _make(home, *args), topics))
    commands = {
        "runs": ("runs",),
        "status": ("status",),
        "costs": ("costs",),
        "costs by run": ("costs", "--by", "run"),
        "show": ("show", ids[0]),
    }
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        futures = {name: pool.submit(run_cli, home, *args, COLUMNS="80") for name, args in commands.items()}
        return ids, {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", ["runs", "status", "costs", "costs by run", "show"])
def test_every_command_fits_80_columns(made: tuple[list[str], dict[str, CliResult]], name: str):
    result = made[1][name]
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, result.stdout


@pytest.mark.parametrize("name", ["runs", "costs by run", "show"])
def test_run_ids_appear_whole_at_80_columns(made: tuple[list[str], dict[str, CliResult]], name: str):
    ids, results = made
    lines = results[name].stdout.splitlines()
    for run_id in ids if name != "show" else ids[:1]:
        assert any(run_id in line for line in lines), (run_id, results[name].stdout)


def test_all_offline_runs_show_no_savings(made: tuple[list[str], dict[str, CliResult]]):
    for name in ("costs", "costs by run"):
        text = made[1][name].stdout
        assert "saved" not in text and "premium" not in text, text
        assert "no savings: no call was answered in place of a paid cloud provider" in " ".join(text.split())
