"""The daily plan's one video per feed entry: an item with `each_entry = N` becomes one item per new entry."""

from __future__ import annotations

import hashlib

import httpx

from graph.settings import Settings
from state.daily_plan import MAX_SLUG_CHARS, DailyItem
from state.requests import text_problem
from tools.addresses import check_public_url
from tools.errors import BadInput
from tools.sources.feeds import fetch_feed
from tools.sources.readers import entry_ref
from tools.web import USER_AGENT


def entry_items(item: DailyItem, settings: Settings) -> list[DailyItem]:
    """One item per newest entry of the item's feed, each with its own slug (so a second run of the plan on
    the same day resumes them, and a new entry tomorrow is a new video); the item itself without
    `each_entry`. BadInput or ServiceUnavailable when the feed cannot be read."""
    if not item.each_entry:
        return [item]
    url = item.sources[0]["ref"]
    check = None if settings.allow_private_sources else check_public_url
    with httpx.Client(
        timeout=settings.sources.timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=False
    ) as http:
        feed = fetch_feed(url, http=http, max_bytes=settings.sources.max_bytes, check_url=check)
    if not feed.entries:
        raise BadInput(f"the feed {feed.url} has no entries yet; the item {item.slug} made no video")
    items = []
    for entry in feed.entries[: item.each_entry]:
        handle = entry.link or entry.title
        digest = hashlib.sha256(handle.encode()).hexdigest()[:8]
        slug = f"{item.slug[: MAX_SLUG_CHARS - 9].rstrip('-')}-{digest}"
        title = " ".join(entry.title.split())[:200]
        topic = title if title and text_problem(title) is None else item.topic
        source = {"kind": "feed", "ref": entry_ref(url, handle)}
        items.append(
            item.model_copy(update={"slug": slug, "topic": topic, "sources": [source], "each_entry": 0})
        )
    return items
