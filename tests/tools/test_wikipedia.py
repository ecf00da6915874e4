"""Research on a MediaWiki site: the right page, facts with their section and revision, and one clear
failure for everything that can go wrong on the way."""

from __future__ import annotations

import time

import pytest

from tests.servers.harness import refused_url
from tests.servers.mediawiki import GLACIER, MediaWikiServer
from tools.research import ResearchUnavailable, Wikipedia
from tools.research.wikipedia import MAX_EXTRACT_CHARS, sections


@pytest.fixture
def wiki():
    with MediaWikiServer() as server:
        yield server


def test_the_best_page_is_chosen_over_a_disambiguation_page(wiki):
    page, facts = Wikipedia(wiki.url).research("glacier", "en")
    assert page is not None and page.title == "Glacier"
    assert page.url == f"{wiki.url}/wiki/Glacier" and page.revision == 1234567
    assert len(facts) >= 5
    texts = [fact["text"] for fact in facts]
    assert any("15 million square kilometres" in text for text in texts)
    assert all(fact["source"] == page.url and fact["title"] == "Glacier" for fact in facts)
    assert all(fact["revision"] == 1234567 for fact in facts)
    kutiah = next(fact for fact in facts if "Kutiah" in fact["text"])
    assert kutiah["section"] == "Motion"
    assert not any("List of glaciers" in text for text in texts), "See also is not a fact"


def test_the_language_picks_the_site(wiki):
    template = wiki.url.replace("127.0.0.1", "{lang}")
    assert Wikipedia(template).base_url("127.0.0.1") == wiki.url


def test_no_page_for_the_topic(wiki):
    assert Wikipedia(wiki.url).research("quantum chromodynamics", "en") == (None, [])


def test_only_disambiguation_pages():
    pages = {"Mercury": ("Mercury may refer to a planet or an element.", True)}
    with MediaWikiServer(pages) as server:
        assert Wikipedia(server.url).research("mercury", "en") == (None, [])


def test_a_huge_page_is_cut():
    huge = "Ice sheets hold 99 percent of the glacial ice on Earth in two places. " * 20_000
    with MediaWikiServer({"Ice sheet": (huge, False)}) as server:
        page, facts = Wikipedia(server.url).research("ice sheet", "en")
    assert page is not None and len(page.extract) == MAX_EXTRACT_CHARS
    assert facts


def test_a_429_is_waited_out_once(wiki):
    wiki.fail("429", times=1)
    page, _ = Wikipedia(wiki.url).research("glacier", "en")
    assert page is not None and page.title == "Glacier"


def test_a_server_that_keeps_refusing_is_one_reason(wiki):
    wiki.fail("429", times=None)
    with pytest.raises(ResearchUnavailable, match="rate-limiting"):
        Wikipedia(wiki.url).research("glacier", "en")


def test_a_hanging_server_gives_up_at_the_timeout(wiki):
    wiki.fail("hang", times=None)
    started = time.monotonic()
    with pytest.raises(ResearchUnavailable, match="did not answer within 0.5 s"):
        Wikipedia(wiki.url, timeout_s=0.5).research("glacier", "en")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("fault", ["500", "malformed"])
def test_a_broken_answer_is_one_reason(wiki, fault):
    wiki.fail(fault, times=None)
    with pytest.raises(ResearchUnavailable, match="Wikipedia at"):
        Wikipedia(wiki.url).research("glacier", "en")


def test_no_network_is_one_reason():
    with pytest.raises(ResearchUnavailable, match="cannot be reached"):
        Wikipedia(refused_url()).research("glacier", "en")


def test_sections_keep_their_headings():
    names = [name for name, _ in sections(GLACIER)]
    assert names == ["", "Motion", "Formation", "See also"]
