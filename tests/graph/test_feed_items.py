"""The daily plan's `each_entry`: one item per newest feed entry, each reading only its own entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.feed_items import entry_items
from graph.settings import load_settings
from state.daily_plan import DailyItem
from tests.servers.web_pages import WebPagesServer
from tools.errors import BadInput
from tools.sources import SourceReaders


@pytest.fixture
def site() -> Iterator[WebPagesServer]:
    with WebPagesServer() as server:
        yield server


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, home: Path):
    monkeypatch.setenv("REELFORGE_HOME", str(home))
    monkeypatch.setenv("REELFORGE_ALLOW_PRIVATE_SOURCES", "on")
    return load_settings()


def test_each_entry_makes_one_item_per_newest_entry_reading_only_that_entry(site, settings):
    item = DailyItem.model_validate(
        {"topic": "coffee news", "source": f"{site.url}/feeds/rss.xml", "each_entry": 2}
    )
    items = entry_items(item, settings)
    assert len(items) == 2
    assert len({entry.slug for entry in items}) == 2
    assert all(entry.slug.startswith("coffee-news-") and entry.each_entry == 0 for entry in items)
    # Made again (the plan run twice on a day), the items are the same: the runs resume, never duplicate.
    assert [entry.slug for entry in entry_items(item, settings)] == [entry.slug for entry in items]
    with httpx.Client() as http:
        readers = SourceReaders(http, allow_private=True)
        cited = [
            {fact["source"] for fact in readers.read(entry.sources[0], limit=10, lang="en").facts}
            for entry in items
        ]
    # Each video quotes its own entry only, and the two entries are different articles.
    assert [len(links) for links in cited] == [1, 1] and cited[0] != cited[1]


def test_an_item_without_each_entry_is_itself(settings):
    item = DailyItem.model_validate({"topic": "coffee"})
    assert entry_items(item, settings) == [item]


def test_each_entry_needs_exactly_one_feed():
    with pytest.raises(ValueError, match="give exactly one source, the feed's URL"):
        DailyItem.model_validate({"topic": "x", "sources": ["notes.md"], "each_entry": 2})


def test_a_feed_that_is_not_a_feed_fails_that_item_in_one_line(site, settings):
    item = DailyItem.model_validate({"topic": "x", "source": f"{site.url}/feeds/page.html", "each_entry": 2})
    with pytest.raises(BadInput, match="is not an RSS or Atom feed"):
        entry_items(item, settings)
