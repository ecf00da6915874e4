"""One services object per process: SQLite files and event files by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from graph.services import Services
from graph.settings import Settings
from state.events import draft
from tools.errors import BadInput
from tools.storage.event_log import FileEventLog
from tools.storage.ledger_records import UsageRecord
from tools.storage.redis_checkpoints import RedisSaver
from tools.storage.redis_event_log import RedisEventLog
from tools.storage.redis_ledger import RedisUsageLedger
from tools.storage.redis_run_index import RedisRunIndex
from tools.storage.sqlite_ledger import UsageLedger
from tools.storage.sqlite_run_index import RunIndex


def test_without_redis_the_stores_are_files_in_the_home(home: Path):
    services = Services(Settings(home=home, redis_url=None))
    assert not services.has_runs() and not services.has_ledger() and not services.has_checkpoints()
    assert not list(home.iterdir()), "asking whether stores exist must not create them"
    assert isinstance(services.runs, RunIndex)
    assert isinstance(services.ledger, UsageLedger)
    assert isinstance(services.saver, SqliteSaver)
    assert isinstance(services.event_log("r1"), FileEventLog)
    assert services.runs is services.runs, "each store is opened once"
    settings = services.settings
    assert settings.index.is_file() and settings.ledger.is_file() and settings.checkpoints.is_file()
    services.close()


def test_with_redis_two_processes_worth_of_stores_share_one_database(home: Path, redis_url: str):
    writer = Services(Settings(home=home, redis_url=redis_url))
    reader = Services(Settings(home=home, redis_url=redis_url))
    assert isinstance(writer.runs, RedisRunIndex) and isinstance(writer.saver, RedisSaver)
    writer.runs.create("coffee-1", "make:coffee-1", "coffee", {"topic": "coffee"})
    assert [r.run_id for r in reader.runs.list()] == ["coffee-1"]
    assert isinstance(writer.ledger, RedisUsageLedger)
    writer.ledger.record(UsageRecord("coffee-1", "n", "text", "ollama", "self-hosted", "m", True, 1.0))
    assert len(reader.ledger.usage(run_id="coffee-1")) == 1
    log = writer.event_log("coffee-1")
    assert isinstance(log, RedisEventLog)
    log.append(draft("queued", "queued"))
    assert [e["seq"] for e in reader.event_log("coffee-1").read()] == [1]
    assert not writer.settings.index.exists() and not writer.settings.ledger.exists()
    writer.close()
    reader.close()


def test_the_async_saver_is_made_inside_each_event_loop(home: Path, redis_url: str):
    async def put_and_list(services: Services) -> int:
        async with services.async_saver() as saver:
            return len([item async for item in saver.alist(None)])

    for url in (None, redis_url):
        services = Services(Settings(home=home, redis_url=url))
        assert asyncio.run(put_and_list(services)) == 0
        assert asyncio.run(put_and_list(services)) == 0  # a second loop gets its own clients
        services.close()


def test_an_unreachable_redis_is_one_line_naming_it(home: Path):
    with pytest.raises(BadInput, match="cannot reach Redis at redis://127.0.0.1:1/0"):
        Services(Settings(home=home, redis_url="redis://127.0.0.1:1/0"))


def test_a_redis_that_keeps_nothing_on_disk_is_warned_about(home: Path):
    # The machine's own Redis runs with --appendonly no --save "" (it is only used here, not written to).
    warnings: list[str] = []
    Services(Settings(home=home, redis_url="redis://127.0.0.1:6379/15"), warn=warnings.append).close()
    assert warnings and "keeps nothing on disk" in warnings[0]
