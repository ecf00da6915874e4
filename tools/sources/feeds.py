"""RSS and Atom feeds as sources: parsed safely (no XML entities), newest entries first, each giving facts."""

from __future__ import annotations

import calendar
import html
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree
import feedparser
import httpx

from state import Fact
from tools.errors import BadInput
from tools.secrets import redact
from tools.sources.facts import extract_facts
from tools.sources.pages import MAX_BYTES, MAX_REDIRECTS, TIMEOUT_S, CheckUrl, fetch_bytes
from tools.text.markup import strip_markup

# Entries a feed gives by default: a daily plan makes one video per entry, and a script needs only a few.
NEWEST = 5
# A headline used as a fact when its entry's summary gives none: long enough to state something.
MIN_HEADLINE_WORDS = 6
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.DOTALL)
_BLOCK_END = re.compile(r"<\s*(br\s*/?|/p|/div|/li|/h[1-6]|/blockquote|/tr)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: its headline, link, publication time (ISO 8601, UTC) and summary as plain text."""

    title: str
    link: str
    published: str | None
    summary: str


@dataclass(frozen=True)
class Feed:
    """A feed's address, title and entries, newest first (undated entries last, in the feed's order)."""

    url: str
    title: str
    entries: list[FeedEntry]


def fetch_feed(
    url: str,
    *,
    http: httpx.Client,
    max_bytes: int = MAX_BYTES,
    check_url: CheckUrl | None = None,
    max_redirects: int = MAX_REDIRECTS,
    timeout_s: float = TIMEOUT_S,
) -> Feed:
    """Fetch an RSS or Atom feed over http(s) within the page limits, and parse it safely."""
    fetched = fetch_bytes(
        url,
        http=http,
        what="the feed",
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        check_url=check_url,
        accept="application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5",
        timeout_s=timeout_s,
    )
    # Servers label feeds every which way (text/plain, octet-stream); the parser decides what it is.
    return parse_feed(fetched.body, fetched.url)


def _not_a_feed(url: str) -> BadInput:
    return BadInput(
        redact(f"{url} is not an RSS or Atom feed; give the feed's own address (often /feed or /rss.xml)")
    )


def _unsafe(url: str) -> BadInput:
    return BadInput(
        redact(f"{url} is not a safe feed (it declares XML entities); feeds need none, so give another feed")
    )


def parse_feed(data: bytes, url: str) -> Feed:
    """Parse RSS or Atom bytes; BadInput for a document that declares entities or is not a feed at all.

    defusedxml reads the document first and refuses entity declarations, so an entity bomb (billion laughs)
    never reaches feedparser's parser, which would expand it. A document that is not well-formed XML is left
    to feedparser's lenient parser, which keeps most of a sloppy feed and finds no entries in anything else.
    """
    # Checked in the bytes too, for documents too broken for defusedxml to reach their DTD; text inside
    # CDATA (an article about XML) is not markup.
    if _ENTITY.search(_CDATA.sub(b"", data)):
        raise _unsafe(url)
    well_formed = True
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise _unsafe(url) from None
    except (ParseError, ValueError, LookupError):
        well_formed = False
    # A stream, never the bytes themselves: feedparser fetches a string that looks like a URL or a path.
    parsed = feedparser.parse(
        io.BytesIO(data),
        # The type is only for feedparser's encoding rules: without one it flags every feed as suspect.
        response_headers={"content-location": url, "content-type": "application/xml"},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    entries = list(parsed.get("entries") or [])
    # A well-formed RSS or Atom document without items is a feed with nothing in it yet; a broken document
    # (feedparser's "bozo") or one of another kind without entries is no feed at all.
    if not entries and (not well_formed or not parsed.get("version")):
        raise _not_a_feed(url)
    feed_info = parsed.get("feed") or {}
    title = _line(feed_info.get("title")) or urlsplit(url).hostname or url
    found = [_entry(entry, url) for entry in entries]
    order = sorted(range(len(found)), key=lambda index: (_newest_key(found[index]), index))
    return Feed(url=url, title=title, entries=[found[index] for index in order])


def _newest_key(entry: FeedEntry) -> tuple[int, float]:
    """Dated entries first, newest first; then undated ones."""
    if entry.published is None:
        return (1, 0.0)
    return (0, -datetime.fromisoformat(entry.published).timestamp())


def _entry(entry: Any, feed_url: str) -> FeedEntry:
    link = str(entry.get("link") or "")
    if urlsplit(link).scheme.lower() not in ("http", "https"):
        # An entry without a usable link is cited by the feed that carried it.
        link = feed_url
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    published = None
    if when is not None:
        published = datetime.fromtimestamp(calendar.timegm(when), tz=UTC).isoformat()
    # The longest of the content blocks and the summary: some feeds put the whole article in content.
    bodies = [str(block.get("value") or "") for block in entry.get("content") or [] if hasattr(block, "get")]
    bodies.append(str(entry.get("summary") or ""))
    summary = _html_text(max(bodies, key=len))
    return FeedEntry(title=_line(entry.get("title")), link=link, published=published, summary=summary)


def _html_text(fragment: str) -> str:
    """Plain text of a (sanitized) HTML fragment: block ends break paragraphs, newlines are spaces."""
    text = _BLOCK_END.sub("\n\n", fragment)
    blocks = re.split(r"\n\s*\n", html.unescape(strip_markup(text)))
    return "\n\n".join(" ".join(block.split()) for block in blocks if block.strip())


def _line(value: object) -> str:
    return " ".join(html.unescape(strip_markup(str(value))).split()) if value else ""


def feed_facts(feed: Feed, newest: int = NEWEST, lang: str = "en", *, limit: int = 40) -> list[Fact]:
    """Facts from the `newest` entries: each entry's best summary sentences, cited by the entry's link.

    The `limit` is shared out evenly between the entries. An entry whose summary holds no quotable sentence
    gives its headline instead, when that has at least MIN_HEADLINE_WORDS words and is not a question.
    """
    entries = feed.entries[: max(0, newest)]
    if not entries or limit <= 0:
        return []
    share = max(1, math.ceil(limit / len(entries)))
    facts: list[Fact] = []
    for entry in entries:
        title = entry.title or feed.title
        found = extract_facts(title, entry.summary, entry.link, limit=share, lang=lang)
        if not found and len(entry.title.split()) >= MIN_HEADLINE_WORDS and not entry.title.endswith("?"):
            found = [{"text": entry.title, "source": entry.link}]
        facts.extend({**fact, "title": title} for fact in found)
    return facts[:limit]
