"""Research on a MediaWiki site: the right page, facts with their section and revision, in as few requests as
the site allows (Action API, else the REST summary), in the job's language, and one clear failure for
everything that can go wrong on the way, within one deadline."""

from __future__ import annotations

import time

import pytest

from tests.servers.harness import Request, Response, refused_url
from tests.servers.mediawiki import DEFAULT_PAGES, GLACIER, GOLDEN_GATE_DE, MediaWikiServer, intro
from tools.research import ResearchUnavailable, Wikipedia, language_note
from tools.research.wikipedia import ENOUGH_FACTS, MAX_EXTRACT_CHARS, sections


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
    # The lead gives 3 facts, fewer than a script needs: one search that brings the leads, then the page.
    assert [request.query.get("generator") for request in wiki.requests] == [["search"], None]
    assert wiki.requests[0].query["prop"] == ["pageprops|info|extracts"]
    assert wiki.requests[0].query["exintro"] == ["1"]
    assert wiki.requests[1].query["pageids"] == ["2"]


def test_a_lead_with_enough_facts_is_one_request(wiki):
    page, facts = Wikipedia(wiki.url, max_facts=3).research("glacier", "en")
    assert len(wiki.requests) == 1
    assert page is not None and page.url == f"{wiki.url}/wiki/Glacier" and page.revision == 1234567
    assert [fact["text"] for fact in facts] == intro(GLACIER).splitlines()
    assert {fact["section"] for fact in facts} == {""}


def test_a_long_lead_is_enough_at_the_default():
    lead = "\n".join(
        f"Glacier number {n} in the valley moved {n} metres downhill in the year 19{n}."
        for n in range(10, 20)
    )
    with MediaWikiServer({"Glacier": (f"{lead}\n\n== Motion ==\n{GLACIER}", False)}) as server:
        _, facts = Wikipedia(server.url).research("glacier", "en")
        assert len(server.requests) == 1 and len(facts) >= ENOUGH_FACTS


def test_search_order_wins_over_page_order():
    pages = {
        "Glacier National Park": ("Glacier National Park is a park in Montana.", False),
        "Glacier": (GLACIER, False),
    }
    with MediaWikiServer(pages) as server:
        page, _ = Wikipedia(server.url).research("glacier ice", "en")
    assert page is not None and page.title == "Glacier"


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


def test_a_429_that_would_outlast_the_deadline_is_not_waited(wiki):
    wiki.fail("429", times=1)
    started = time.monotonic()
    with pytest.raises(ResearchUnavailable, match="rate-limiting"):
        Wikipedia(wiki.url, timeout_s=0.5).research("glacier", "en")
    assert time.monotonic() - started < 0.5


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


def test_a_slow_server_cannot_multiply_the_deadline():
    # Each answer takes 0.5 s and the page needs two: a timeout per request of 0.8 s would let both through
    # in 1 s; the one deadline of 0.8 s for the whole research stops the second, and the lead's facts stay.
    with MediaWikiServer() as server:
        server.delay_s = 0.5
        started = time.monotonic()
        page, facts = Wikipedia(server.url, timeout_s=0.8).research("glacier", "en")
        assert time.monotonic() - started < 0.98
    assert page is not None and page.title == "Glacier"
    assert [fact["text"] for fact in facts] == intro(GLACIER).splitlines()


class WholePagesFail(MediaWikiServer):
    """A site whose search answers and whose whole-page extracts fail with HTTP 500."""

    def _api(self, prefix: str, request: Request, fault: str | None) -> Response:
        if "pageids" in request.query:
            return Response.json({"error": "injected server error"}, status=500)
        return super()._api(prefix, request, fault)


def test_a_failure_fetching_the_whole_page_keeps_the_leads_facts():
    with WholePagesFail() as server:
        page, facts = Wikipedia(server.url).research("glacier", "en")
        assert len(server.requests) == 2
    assert page is not None and [fact["text"] for fact in facts] == intro(GLACIER).splitlines()


def test_a_failure_fetching_the_whole_page_is_one_reason_when_the_lead_gave_nothing():
    with WholePagesFail({"Glacier": (GLACIER[GLACIER.index("== Motion") :], False)}) as server:
        with pytest.raises(ResearchUnavailable, match="answered HTTP 500"):
            Wikipedia(server.url).research("glacier", "en")


# ---- the REST API, for a site without the Action API or without TextExtracts -------------------------------


def test_the_rest_summary_when_the_site_has_no_action_api():
    with MediaWikiServer(action_api=False) as server:
        page, facts = Wikipedia(server.url).research("glacier", "en")
        paths, url = [request.path for request in server.requests], server.url
    assert paths == ["/w/api.php", "/api/rest_v1/page/summary/Glacier"]
    assert page is not None and page.title == "Glacier" and page.lang == "en"
    assert page.url == f"{url}/wiki/Glacier" and page.revision == 1234567
    assert [fact["text"] for fact in facts] == intro(GLACIER).splitlines()
    assert all(fact["source"] == page.url and fact["revision"] == 1234567 for fact in facts)


def test_the_rest_summary_when_the_site_has_no_textextracts():
    with MediaWikiServer(text_extracts=False) as server:
        page, facts = Wikipedia(server.url).research("glacier", "en")
        paths = [request.path for request in server.requests]
    # The search still ranks and passes over the disambiguation page; the summary gives the chosen lead.
    assert paths == ["/w/api.php", "/api/rest_v1/page/summary/Glacier"]
    assert page is not None and page.title == "Glacier" and len(facts) == 3


@pytest.mark.parametrize("topic", ["glacier (disambiguation)", "quantum chromodynamics"])
def test_the_rest_summary_of_a_disambiguation_or_missing_page_is_no_page(topic):
    with MediaWikiServer(action_api=False) as server:
        assert Wikipedia(server.url).research(topic, "en") == (None, [])


def test_a_site_with_neither_api_is_one_reason():
    with MediaWikiServer(action_api=False, rest_api=False) as server:
        with pytest.raises(ResearchUnavailable, match="neither the Action API .* nor the REST API"):
            Wikipedia(server.url).research("glacier", "en")


# ---- pages in other languages -----------------------------------------------------------------------------


@pytest.fixture
def wikis():
    """A German and an English wiki, at <url>/de and <url>/en."""
    sites = {"de": {"Golden Gate Bridge": (GOLDEN_GATE_DE, False)}, "en": dict(DEFAULT_PAGES)}
    with MediaWikiServer(sites=sites) as server:
        yield server


def _german_sentences(*section_names: str) -> list[str]:
    names = set(section_names)
    return [line for name, body in sections(GOLDEN_GATE_DE) if name in names for line in body.splitlines()]


def test_a_german_job_researches_the_german_wiki(wikis):
    page, facts = Wikipedia(f"{wikis.url}/{{lang}}").research("Golden Gate Bridge", "de")
    assert page is not None and page.lang == "de"
    assert page.url == f"{wikis.url}/de/wiki/Golden_Gate_Bridge"
    assert all(request.path.startswith("/de/") for request in wikis.requests)
    # Whole sentences, though "z. B.", "u. a.", "Nr. 101", "35 Mio. US-Dollar", "Joseph B. Strauss" and
    # "27. Mai 1937" put a full stop before a capital or a digit.
    texts = [fact["text"] for fact in facts]
    assert texts == _german_sentences("", "Geschichte", "Bauwerk")
    assert (
        "Sie wurde am 27. Mai 1937 für Fußgänger und einen Tag später für den Autoverkehr eröffnet." in texts
    )
    by_text = {fact["text"]: fact["section"] for fact in facts}
    assert by_text[next(text for text in texts if "z. B." in text)] == "Bauwerk"
    assert by_text[next(text for text in texts if "u. a." in text)] == "Geschichte"
    # Siehe auch, Literatur, Weblinks and Einzelnachweise are lists of further reading, not facts.
    skipped = _german_sentences("Siehe auch", "Literatur", "Weblinks", "Einzelnachweise")
    assert len(skipped) == 4 and not set(skipped) & set(texts)
    assert language_note(page, "de") is None


def test_no_page_in_the_jobs_language_falls_back_to_english_with_a_note(wikis):
    page, facts = Wikipedia(f"{wikis.url}/{{lang}}").research("glacier", "de")
    assert [request.path for request in wikis.requests] == ["/de/w/api.php", "/en/w/api.php", "/en/w/api.php"]
    assert page is not None and page.title == "Glacier" and page.lang == "en"
    assert page.url == f"{wikis.url}/en/wiki/Glacier" and len(facts) >= 5
    note = language_note(page, "de")
    assert note == f"Wikipedia has no 'de' page for this topic; the facts come from the 'en' page {page.url}"


def test_no_page_in_any_language_is_no_page(wikis):
    assert Wikipedia(f"{wikis.url}/{{lang}}").research("quantum chromodynamics", "de") == (None, [])
    assert [request.path for request in wikis.requests] == ["/de/w/api.php", "/en/w/api.php"]


def test_a_site_without_lang_in_its_url_is_the_only_one_asked():
    with MediaWikiServer({"Golden Gate Bridge": (GOLDEN_GATE_DE, False)}, lang="de") as server:
        assert Wikipedia(server.url).research("glacier", "de") == (None, [])
        assert len(server.requests) == 1
