"""Web pages: the main text of an article with its metadata, within bounds, and one clear line per failure."""

from __future__ import annotations

import socket

import pytest

from tests.servers.harness import Response, refused_url
from tools.addresses import check_public_url
from tools.errors import BadInput, InvalidField, ServiceUnavailable, is_transient
from tools.sources import fetch_page, page_facts


def test_an_article_is_its_main_text_with_title_author_and_date(site, http):
    page = fetch_page(f"{site.url}/articles/coffee", http=http)
    assert page.url == f"{site.url}/articles/coffee"
    assert page.title == "The history of coffee"
    assert page.author == "Ada Lovelace"
    assert page.date == "2024-03-15"
    assert "Coffee was first cultivated in Yemen in the 15th century" in page.text
    assert "Brazil grows about a third of the world's coffee" in page.text
    for furniture in ("cookies", "Home", "Sport", "All rights reserved", "Related stories", "Privacy"):
        assert furniture not in page.text, furniture


def test_page_facts_are_verbatim_quotes_with_the_page_url_and_title(site, http):
    page = fetch_page(f"{site.url}/articles/coffee", http=http)
    facts = page_facts(page, limit=10, lang="en")
    assert len(facts) == 4
    assert all(fact["source"] == page.url and fact["title"] == "The history of coffee" for fact in facts)
    flat = " ".join(page.text.split())
    assert all(fact["text"] in flat for fact in facts)
    assert facts[0]["text"].startswith("Coffee was first cultivated in Yemen")
    assert len(page_facts(page, limit=2)) == 2


def test_a_plain_text_page_is_read_as_it_is(site, http):
    page = fetch_page(f"{site.url}/articles/plain.txt", http=http)
    assert page.title == "Notes on tea" and page.author is None and page.date is None
    assert "The Dutch brought tea to Europe in 1610" in page.text


def test_redirects_are_followed_and_every_hop_is_checked(site, http):
    seen: list[str] = []
    page = fetch_page(f"{site.url}/redirect/start", http=http, check_url=seen.append)
    assert seen == [
        f"{site.url}/redirect/start",
        f"{site.url}/redirect/middle",
        f"{site.url}/articles/coffee",
    ]
    assert page.url == f"{site.url}/articles/coffee" and page.title == "The history of coffee"


def test_a_refused_hop_stops_the_fetch_before_it_is_asked(site, http):
    def refuse_articles(url: str) -> None:
        if "/articles/" in url:
            raise InvalidField("sources", f"the URL {url!r} points at a private address")

    with pytest.raises(InvalidField, match="private address"):
        fetch_page(f"{site.url}/redirect/start", http=http, check_url=refuse_articles)
    assert [request.path for request in site.requests] == ["/redirect/start", "/redirect/middle"]


def test_the_public_address_check_refuses_this_machine(site, http):
    with pytest.raises(InvalidField, match=r"private address \(127\.0\.0\.1\)"):
        fetch_page(f"{site.url}/articles/coffee", http=http, check_url=check_public_url)
    assert site.requests == []


def test_a_redirect_loop_is_one_line(site, http):
    with pytest.raises(BadInput, match=r"^the page .*/loop/a redirects in a loop; give its final address$"):
        fetch_page(f"{site.url}/loop/a", http=http)


def test_redirects_are_bounded(site, http):
    with pytest.raises(BadInput, match=r"/chain/7 redirects more than 5 times; give its final address$"):
        fetch_page(f"{site.url}/chain/7", http=http)
    assert fetch_page(f"{site.url}/chain/5", http=http).title == "The history of coffee"
    with pytest.raises(BadInput, match="more than 2 times"):
        fetch_page(f"{site.url}/chain/3", http=http, max_redirects=2)


def test_a_redirect_to_another_scheme_is_refused(site, http):
    site.route(
        "GET", "/to-file", lambda r, f: Response(b"", "text/html", 302, {"Location": "file:///etc/passwd"})
    )
    with pytest.raises(BadInput, match=r"leads to file:///etc/passwd, which is not http\(s\)"):
        fetch_page(f"{site.url}/to-file", http=http)


@pytest.mark.parametrize(
    ("path", "answer"),
    [("/missing", "404 Not Found; check the address"), ("/gone", "410 Gone; check the address")],
)
def test_a_missing_page_is_bad_input(site, http, path, answer):
    with pytest.raises(BadInput) as caught:
        fetch_page(f"{site.url}{path}", http=http)
    assert str(caught.value) == f"the page {site.url}{path} answered {answer}"
    assert not is_transient(caught.value)


def test_a_forbidden_page_says_what_to_do(site, http):
    with pytest.raises(BadInput, match=r"answered 403 Forbidden .*save its text to a file"):
        fetch_page(f"{site.url}/private", http=http)


@pytest.mark.parametrize("fault", ["500", "429"])
def test_a_busy_site_is_transient(site, http, fault):
    site.fail(fault, path="/articles/coffee")
    with pytest.raises(ServiceUnavailable, match=rf"answered {fault} .*; try again later$") as caught:
        fetch_page(f"{site.url}/articles/coffee", http=http)
    assert is_transient(caught.value)
    assert fetch_page(f"{site.url}/articles/coffee", http=http).title == "The history of coffee"


def test_a_site_that_hangs_times_out(site, http):
    site.fail("hang", path="/articles/coffee")
    with pytest.raises(ServiceUnavailable, match=r"did not answer within 0\.5 s; try again later$") as caught:
        fetch_page(f"{site.url}/articles/coffee", http=http, timeout_s=0.5)
    assert is_transient(caught.value)


def test_a_refused_connection_is_transient(http):
    url = f"{refused_url()}/article"
    with pytest.raises(ServiceUnavailable, match=r"^cannot reach the page .* try again later$") as caught:
        fetch_page(url, http=http)
    assert is_transient(caught.value)


def test_a_host_that_does_not_exist_is_bad_input(http):
    try:
        socket.getaddrinfo("reelforge-test.invalid", None)
    except socket.gaierror as exc:
        if exc.errno != socket.EAI_NONAME:
            pytest.skip("this machine cannot resolve names at all")
    with pytest.raises(
        BadInput, match=r"the host reelforge-test\.invalid .* does not exist; check the address"
    ):
        fetch_page("http://reelforge-test.invalid/article", http=http)


@pytest.mark.parametrize(("path", "kind"), [("/data.json", "application/json"), ("/photo.png", "image/png")])
def test_a_resource_that_is_not_a_page_names_its_type(site, http, path, kind):
    with pytest.raises(BadInput, match=rf"^the page .*{path} is {kind}, not a web page; give an HTML page"):
        fetch_page(f"{site.url}{path}", http=http)


def test_a_script_only_page_has_no_main_text(site, http):
    with pytest.raises(BadInput) as caught:
        fetch_page(f"{site.url}/script-only", http=http)
    assert str(caught.value) == (
        f"the page {site.url}/script-only has no main text (a login page, a script-only page?); "
        "give another page or save its text to a .md file"
    )


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_a_page_over_the_size_cap_is_refused(site, http, path):
    with pytest.raises(BadInput, match=r"a source may be at most 98 KB, so save an excerpt to a file$"):
        fetch_page(f"{site.url}{path}", http=http, max_bytes=100_000)
    # The default cap is far above it.
    assert "seventy countries" in fetch_page(f"{site.url}{path}", http=http).text


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/article", r"is not http\(s\); give an http\(s\) address$"),
        ("http://", r"is not a valid http\(s\) address; check it$"),
        ("http://[::1", r"is not a valid http\(s\) address; check it$"),
    ],
)
def test_only_valid_http_addresses_are_fetched(http, url, problem):
    with pytest.raises(BadInput, match=problem):
        fetch_page(url, http=http)


def test_a_key_in_an_address_never_reaches_the_message(site, http):
    url = f"{site.url}/missing?api_key=sk-live0123456789abcdef"
    with pytest.raises(BadInput) as caught:
        fetch_page(url, http=http)
    assert "sk-live0123456789abcdef" not in str(caught.value)
    assert "[redacted]" in str(caught.value)
