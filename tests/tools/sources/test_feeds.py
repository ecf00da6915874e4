"""RSS and Atom feeds: newest entries first, facts cited by each entry's link, and no XML bombs."""

from __future__ import annotations

import time

import pytest

from tests.servers.web_pages import BILLION_LAUGHS, EMPTY_RSS
from tools.errors import BadInput, ServiceUnavailable
from tools.sources import feed_facts, fetch_feed, parse_feed


def test_rss_entries_come_newest_first_with_plain_summaries(site, http):
    feed = fetch_feed(f"{site.url}/feeds/rss.xml", http=http)
    assert feed.url == f"{site.url}/feeds/rss.xml" and feed.title == "Coffee News"
    assert [entry.title for entry in feed.entries] == [
        "Vietnam expands its robusta harvest this season",
        "Roasters meet in Berlin for the annual coffee fair",
        "Coffee prices reach a ten year high",
        "Undated notes from the archive",
    ]
    # +0100 is normalised to UTC; the undated entry comes last.
    assert [entry.published for entry in feed.entries] == [
        "2024-03-05T09:00:00+00:00",
        "2024-02-16T08:30:00+00:00",
        "2024-01-01T10:00:00+00:00",
        None,
    ]
    # A relative link is resolved against the feed's address.
    assert feed.entries[0].link == f"{site.url}/news/vietnam"
    prices = feed.entries[2]
    assert prices.summary == (
        "Arabica coffee prices rose to their highest level in ten years on Monday.\n\n"
        "Traders blamed a drought in Brazil, which grows about a third of the world's coffee."
    )


def test_atom_content_is_preferred_over_a_shorter_summary(site, http):
    feed = fetch_feed(f"{site.url}/feeds/atom.xml", http=http)
    assert feed.title == "Tea Journal"
    assert [entry.link for entry in feed.entries] == [f"{site.url}/tea/matcha", f"{site.url}/tea/darjeeling"]
    assert feed.entries[0].published == "2024-04-02T12:00:00+00:00"
    assert "ground into a fine green powder in stone mills." in feed.entries[0].summary
    assert "<p>" not in feed.entries[0].summary


def test_feed_facts_cite_each_entry_and_fall_back_to_a_full_headline(site, http):
    feed = fetch_feed(f"{site.url}/feeds/rss.xml", http=http)
    facts = feed_facts(feed, newest=3, lang="en")
    by_source = {fact["source"]: fact for fact in facts}
    assert set(by_source) == {f"{site.url}/news/vietnam", f"{site.url}/news/fair", f"{site.url}/news/prices"}
    vietnam = by_source[f"{site.url}/news/vietnam"]
    assert (
        vietnam["text"]
        == "Vietnam harvested 29 million bags of robusta coffee in the last season, a new record."
    )
    assert vietnam["title"] == "Vietnam expands its robusta harvest this season"
    # "Read more" holds no sentence: the headline, a statement of six words or more, stands in.
    fair = by_source[f"{site.url}/news/fair"]
    assert fair["text"] == fair["title"] == "Roasters meet in Berlin for the annual coffee fair"
    assert not any("archive" in fact["source"] for fact in facts), "only the newest three"
    assert len(feed_facts(feed, newest=4, limit=2)) == 2
    assert feed_facts(feed, newest=0) == []


def test_billion_laughs_is_refused_before_it_expands(site, http):
    started = time.monotonic()
    with pytest.raises(BadInput) as caught:
        fetch_feed(f"{site.url}/feeds/lol.xml", http=http)
    assert time.monotonic() - started < 2
    assert str(caught.value) == (
        f"{site.url}/feeds/lol.xml is not a safe feed (it declares XML entities); feeds need none, "
        "so give another feed"
    )


def test_entities_are_refused_in_any_encoding():
    utf16 = BILLION_LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    with pytest.raises(BadInput, match="is not a safe feed"):
        parse_feed(utf16.encode("utf-16"), "https://example.org/feed")


def test_an_external_entity_is_refused():
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><item><title>x</title></item></channel></rss>"""
    with pytest.raises(BadInput, match="is not a safe feed"):
        parse_feed(xxe, "https://example.org/feed")


def test_an_external_dtd_without_entities_is_still_a_feed():
    netscape = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://example.org/</link>
<item><title>An old item from the early days of syndication</title><link>https://example.org/1</link></item>
</channel></rss>"""
    feed = parse_feed(netscape, "https://example.org/rss")
    assert [entry.link for entry in feed.entries] == ["https://example.org/1"]


@pytest.mark.parametrize("path", ["/feeds/page.html", "/data.json"])
def test_a_page_or_json_is_not_a_feed(site, http, path):
    with pytest.raises(BadInput) as caught:
        fetch_feed(f"{site.url}{path}", http=http)
    assert str(caught.value) == (
        f"{site.url}{path} is not an RSS or Atom feed; give the feed's own address (often /feed or /rss.xml)"
    )


@pytest.mark.parametrize(
    "data", [b"", b"\x89PNG\r\n\x1a\n\x00\x00garbage", b"just some words", b"<rss><chan"]
)
def test_garbage_is_not_a_feed(data):
    with pytest.raises(BadInput, match="is not an RSS or Atom feed"):
        parse_feed(data, "https://example.org/feed")


def test_a_sloppy_feed_keeps_its_entries():
    # An unescaped "&" makes this invalid XML; feedparser's lenient parser still reads the items.
    sloppy = b"""<rss version="2.0"><channel><title>Tom & Jerry</title>
<item><title>Cats & mice</title><link>https://example.org/a</link>
<description>The cartoon first aired in 1940 and won seven Academy Awards over the years.</description>
</item></channel></rss>"""
    feed = parse_feed(sloppy, "https://example.org/feed")
    assert [entry.title for entry in feed.entries] == ["Cats & mice"]


def test_a_feed_without_items_is_an_empty_feed():
    feed = parse_feed(EMPTY_RSS.encode(), "https://example.org/quiet.xml")
    assert feed.title == "Quiet" and feed.entries == []
    assert feed_facts(feed) == []


def test_a_missing_feed_and_a_busy_one(site, http):
    with pytest.raises(
        BadInput, match=r"^the feed .*/feeds/nope\.xml answered 404 Not Found; check the address$"
    ):
        fetch_feed(f"{site.url}/feeds/nope.xml", http=http)
    site.fail("500", path="/feeds/rss.xml")
    with pytest.raises(ServiceUnavailable, match="answered 500"):
        fetch_feed(f"{site.url}/feeds/rss.xml", http=http)


def test_every_hop_of_a_feed_is_checked(site, http):
    seen: list[str] = []
    fetch_feed(f"{site.url}/feeds/atom.xml", http=http, check_url=seen.append)
    assert seen == [f"{site.url}/feeds/atom.xml"]


def test_an_article_about_entities_is_not_an_entity():
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>XML notes</title>
<item><title>How entity declarations work</title><link>https://example.org/xml</link>
<description><![CDATA[<p>A DTD may declare <code><!ENTITY name "value"></code>
for text used often.</p>]]></description>
</item></channel></rss>"""
    assert parse_feed(feed, "https://example.org/feed").entries[0].summary.startswith("A DTD may declare")


def test_a_broken_document_with_entities_is_refused():
    broken = b"""<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss version="2.0"><channel>
<title>&b;</title><item><title>&b; & more</title></channel>"""
    with pytest.raises(BadInput, match="is not a safe feed"):
        parse_feed(broken, "https://example.org/feed")
