"""The run index and ledger are SQLite files by default and Redis when REDIS_URL is set."""

from __future__ import annotations

from pathlib import Path

from graph.settings import Settings
from graph.stores import open_ledger, open_run_index
from tools.models.ledger import UsageLedger, UsageRecord
from tools.models.redis_ledger import RedisUsageLedger
from tools.run_index import RunIndex
from tools.storage.redis_run_index import RedisRunIndex


def test_without_redis_the_stores_are_sqlite_files_in_the_home(home: Path):
    settings = Settings(home=home, min_free_bytes=0)
    assert isinstance(open_run_index(settings), RunIndex)
    assert isinstance(open_ledger(settings), UsageLedger)
    assert settings.index.is_file() and settings.ledger.is_file()


def test_with_redis_two_processes_worth_of_stores_share_one_database(home: Path, redis_url: str):
    settings = Settings(home=home, min_free_bytes=0, redis_url=redis_url)
    writer, reader = open_run_index(settings), open_run_index(settings)
    assert isinstance(writer, RedisRunIndex)
    writer.create("make:coffee-1", "make:coffee-1", "coffee", {"topic": "coffee"})
    assert [r.run_id for r in reader.list()] == ["make:coffee-1"]
    ledger = open_ledger(settings)
    assert isinstance(ledger, RedisUsageLedger)
    ledger.record(UsageRecord("make:coffee-1", "n", "text", "ollama", "self-hosted", "m", True, 1.0))
    assert len(open_ledger(settings).usage(run_id="make:coffee-1")) == 1
    assert not settings.index.exists() and not settings.ledger.exists()
