"""Wikipedia (any MediaWiki site): the page for a topic and its facts, in as few requests as the site allows.

Research runs before the script is written, so every request is on the run's critical path:

1. One Action API request (`generator=search` with `prop=pageprops|info|extracts` and `exintro`) ranks the
   candidates, marks the disambiguation pages, and brings each one's URL, revision, language and lead
   section. The best page that is not a disambiguation page is chosen.
2. When its lead gives fewer facts than a script needs (`ENOUGH_FACTS`, at most `max_facts`), a second
   request fetches the whole page as plain text with its `== sections ==`. Should that one fail or run past
   the deadline, the lead's facts are kept.

A site without the Action API (404 at /w/api.php) or without TextExtracts (its answer carries no extracts) is
asked through the REST API instead, `/api/rest_v1/page/summary/{title}`, which gives the lead section; with
no Action API there is no search, so the topic itself is taken as the title.

The job's language picks the site ({lang} in the URL). When that site has no page for the topic and the URL
has {lang}, the English site is asked next: a script written from an English page beats an outline, and a
language model writes it in the job's language. The page's `lang` then differs from the job's, which
`language_note` says in one line for the run's warnings. Every request of one research shares one deadline
(`timeout_s`), so a slow site cannot multiply the wait.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from state import Fact
from tools.errors import ReelforgeError
from tools.sources import extract_facts
from tools.web import USER_AGENT

# A page longer than this is cut: the lead and the first sections carry the facts a short video needs.
MAX_EXTRACT_CHARS = 200_000
# A lead with this many facts is enough (one for each scene of the longest script), so the whole page is
# fetched only for a shorter lead.
ENOUGH_FACTS = 8
# Search hits looked at: the best one is rarely below the fifth, and each brings its lead in the same answer.
CANDIDATES = 5
# The site asked when the job's language has no page for the topic.
FALLBACK_LANG = "en"
# An answer larger than this is not a MediaWiki answer to these queries (a 200,000-character page is ~1 MB).
MAX_ANSWER_BYTES = 32 * 1024 * 1024
# Sections whose sentences are lists of other places to read, not facts, in the languages most asked.
_SKIP_SECTIONS = frozenset(
    {
        # English
        "see also",
        "references",
        "external links",
        "further reading",
        "notes",
        "bibliography",
        "sources",
        "citations",
        # German
        "siehe auch",
        "literatur",
        "weblinks",
        "einzelnachweise",
        "anmerkungen",
        "quellen",
        "belege",
        "fußnoten",
        # French
        "voir aussi",
        "notes et références",
        "références",
        "bibliographie",
        "liens externes",
        "articles connexes",
        # Spanish
        "véase también",
        "referencias",
        "notas",
        "bibliografía",
        "enlaces externos",
    }
)
_HEADING = re.compile(r"^(={2,6})\s*(.+?)\s*\1\s*$", re.MULTILINE)
_MAX_RETRY_AFTER_S = 5.0


class ResearchUnavailable(ReelforgeError):
    """The research source cannot be asked now (no network, refused, too slow, rate-limited)."""


@dataclass(frozen=True)
class WikiPage:
    """The page chosen for a topic; `extract` is its lead alone when that gave enough facts."""

    title: str
    url: str
    revision: int
    extract: str
    lang: str = FALLBACK_LANG


class _NoApi(Exception):
    """The site does not serve this API (404 on the endpoint itself, not on a page)."""


@dataclass(frozen=True)
class _Answer:
    status: int
    retry_after: str | None
    body: bytes


class _Site:
    """One MediaWiki site, asked within a deadline that every request of a research shares."""

    def __init__(self, client: httpx.Client, base: str, deadline: float, timeout_s: float) -> None:
        self.client = client
        self.base = base
        self.deadline = deadline
        self.timeout_s = timeout_s

    def query(self, **params: Any) -> dict[str, Any]:
        """One `action=query` call's `query` object ({} when nothing matched); _NoApi: no Action API."""
        answer = self._get("/w/api.php", {"action": "query", "format": "json", "formatversion": 2, **params})
        if answer.status == 404:
            raise _NoApi
        self._check_status(answer)
        body = self._json(answer)
        if not isinstance(body, dict) or "error" in body:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            reason = error.get("info", "no reason") if isinstance(error, dict) else "no reason"
            raise ResearchUnavailable(f"Wikipedia at {self.base} refused the query ({reason})")
        query = body.get("query", {})
        return query if isinstance(query, dict) else {}

    def summary(self, title: str) -> dict[str, Any] | None:
        """The REST summary of `title` (None: no such page); _NoApi without the REST API."""
        answer = self._get(f"/api/rest_v1/page/summary/{quote(title.replace(' ', '_'), safe='')}", {})
        if answer.status == 404:
            try:
                problem = self._json(answer)
            except ResearchUnavailable:
                raise _NoApi from None
            # RESTBase answers a missing page with a problem document; any other 404 means no REST API.
            if isinstance(problem, dict) and "not_found" in str(problem.get("type", "")):
                return None
            raise _NoApi
        self._check_status(answer)
        body = self._json(answer)
        if not isinstance(body, dict):
            raise ResearchUnavailable(f"Wikipedia at {self.base} answered a summary that is not an object")
        return body

    def _get(self, path: str, params: dict[str, Any]) -> _Answer:
        """GET within the deadline; a 429 is waited out once when the wait fits in it."""
        answer = self._fetch(path, params)
        if answer.status == 429:
            wait = _retry_after(answer.retry_after)
            if time.monotonic() + wait < self.deadline:
                time.sleep(wait)
                answer = self._fetch(path, params)
        if answer.status == 429:
            raise ResearchUnavailable(f"Wikipedia at {self.base} is rate-limiting requests; try again later")
        return answer

    def _fetch(self, path: str, params: dict[str, Any]) -> _Answer:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._too_slow()
        try:
            with self.client.stream("GET", path, params=params, timeout=remaining) as response:
                body = self._read(response)
                return _Answer(response.status_code, response.headers.get("Retry-After"), body)
        except httpx.TimeoutException:
            raise self._too_slow() from None
        except httpx.HTTPError as exc:
            reason = _reason(exc)
            raise ResearchUnavailable(f"Wikipedia at {self.base} cannot be reached ({reason})") from None

    def _read(self, response: httpx.Response) -> bytes:
        """The body, read within the deadline and the size limit (a server that trickles bytes is slow)."""
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise ResearchUnavailable(
                    f"Wikipedia at {self.base} sent more than {MAX_ANSWER_BYTES >> 20} MB for one query"
                )
            if time.monotonic() > self.deadline:
                raise self._too_slow()
        return bytes(body)

    def _too_slow(self) -> ResearchUnavailable:
        return ResearchUnavailable(f"Wikipedia at {self.base} did not answer within {self.timeout_s:g} s")

    def _check_status(self, answer: _Answer) -> None:
        if answer.status != 200:
            raise ResearchUnavailable(f"Wikipedia at {self.base} answered HTTP {answer.status}")

    def _json(self, answer: _Answer) -> Any:
        try:
            return json.loads(answer.body)
        except ValueError:
            raise ResearchUnavailable(
                f"Wikipedia at {self.base} answered with something other than JSON"
            ) from None


class Wikipedia:
    """A MediaWiki site's Action API and REST API, asked over HTTP within one deadline; `transport` is for
    tests."""

    def __init__(
        self,
        url_template: str,
        timeout_s: float = 8.0,
        max_facts: int = 24,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url_template = url_template.rstrip("/")
        self.timeout_s = timeout_s
        self.max_facts = max_facts
        self.transport = transport

    def base_url(self, lang: str) -> str:
        """The site for a language: {lang} in the template becomes it."""
        return self.url_template.replace("{lang}", lang)

    def research(self, topic: str, lang: str) -> tuple[WikiPage | None, list[Fact]]:
        """The best page for `topic` and up to `max_facts` facts from it, each with its section and revision.

        Asks the site in `lang`, then the English one when that has no page and the URL has {lang}.
        (None, []) when no site knows a page for the topic; ResearchUnavailable when one cannot be asked.
        """
        deadline = time.monotonic() + self.timeout_s
        page, facts = self._research_on(self.base_url(lang), topic, lang, deadline)
        if page is None and lang != FALLBACK_LANG and "{lang}" in self.url_template:
            page, facts = self._research_on(self.base_url(FALLBACK_LANG), topic, FALLBACK_LANG, deadline)
        return page, facts

    def _research_on(
        self, base: str, topic: str, lang: str, deadline: float
    ) -> tuple[WikiPage | None, list[Fact]]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        with httpx.Client(
            base_url=base, headers=headers, transport=self.transport, follow_redirects=True
        ) as client:
            site = _Site(client, base, deadline, self.timeout_s)
            try:
                found = site.query(
                    generator="search",
                    gsrsearch=topic,
                    gsrlimit=CANDIDATES,
                    gsrnamespace=0,
                    prop="pageprops|info|extracts",
                    ppprop="disambiguation",
                    inprop="url",
                    exintro=1,
                    explaintext=1,
                    exlimit=CANDIDATES,
                    redirects=1,
                )
            except _NoApi:
                return self._from_summary(site, _as_title(topic), lang)
            pages = _ranked(found)
            if pages and not any("extract" in page for page in pages):
                # No TextExtracts on this site: its REST API gives the chosen page's lead.
                best = next((page for page in pages if not _is_disambiguation(page)), None)
                return self._from_summary(site, str(best["title"]), lang) if best else (None, [])
            return self._from_search(site, pages, lang)

    def _from_search(
        self, site: _Site, pages: list[dict[str, Any]], lang: str
    ) -> tuple[WikiPage | None, list[Fact]]:
        """The best page of the search, from its lead, or from the whole page when the lead is short."""
        best = next((page for page in pages if not _is_disambiguation(page)), None)
        if best is None:
            return None, []
        title = str(best.get("title", ""))
        page = WikiPage(
            title=title,
            url=str(best.get("fullurl") or f"{site.base}/wiki/{title.replace(' ', '_')}"),
            revision=_int(best.get("lastrevid")),
            extract=str(best.get("extract") or "")[:MAX_EXTRACT_CHARS],
            lang=str(best.get("pagelanguage") or lang),
        )
        facts = page_facts(page, self.max_facts)
        if len(facts) >= min(self.max_facts, ENOUGH_FACTS) or "pageid" not in best:
            return page, facts
        try:
            whole = site.query(prop="extracts", explaintext=1, exsectionformat="wiki", pageids=best["pageid"])
        except (ResearchUnavailable, _NoApi):
            # The lead's facts are sourced already: failing to fetch more, or running out of time, keeps them.
            if facts:
                return page, facts
            raise
        extract = next((p.get("extract") for p in whole.get("pages", []) if isinstance(p, dict)), None)
        if not extract:
            return page, facts
        page = replace(page, extract=str(extract)[:MAX_EXTRACT_CHARS])
        return page, page_facts(page, self.max_facts)

    def _from_summary(self, site: _Site, title: str, lang: str) -> tuple[WikiPage | None, list[Fact]]:
        """The page's lead from the REST summary; (None, []) for a missing or disambiguation page."""
        try:
            summary = site.summary(title)
        except _NoApi:
            raise ResearchUnavailable(
                f"Wikipedia at {site.base} serves neither the Action API with TextExtracts (/w/api.php) nor "
                "the REST API (/api/rest_v1); point WIKIPEDIA_URL at a MediaWiki site's base URL"
            ) from None
        if summary is None or summary.get("type") != "standard" or not summary.get("extract"):
            return None, []
        found = str(summary.get("title") or title)
        urls = summary.get("content_urls")
        desktop = urls.get("desktop") if isinstance(urls, dict) else None
        url = desktop.get("page") if isinstance(desktop, dict) else None
        page = WikiPage(
            title=found,
            url=str(url or f"{site.base}/wiki/{quote(found.replace(' ', '_'))}"),
            revision=_int(summary.get("revision")),
            extract=str(summary["extract"])[:MAX_EXTRACT_CHARS],
            lang=str(summary.get("lang") or lang),
        )
        return page, page_facts(page, self.max_facts)


def language_note(page: WikiPage, lang: str) -> str | None:
    """One line for the run's warnings when the page is not in the job's language; None when it is."""
    if _primary(page.lang) == _primary(lang):
        return None
    found = f"the '{page.lang}' page {page.url}"
    return f"Wikipedia has no '{lang}' page for this topic; the facts come from {found}"


def _ranked(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The generator's pages that exist, in search order (MediaWiki lists them by page id)."""
    pages = [
        page
        for page in found.get("pages", [])
        if isinstance(page, dict) and page.get("title") and not (page.get("missing") or page.get("invalid"))
    ]
    return sorted(pages, key=lambda page: _int(page.get("index"), default=1_000_000))


def _is_disambiguation(page: dict[str, Any]) -> bool:
    props = page.get("pageprops")
    return isinstance(props, dict) and "disambiguation" in props


def _as_title(topic: str) -> str:
    """A topic written as a page title: one line, first letter capital (MediaWiki's first-letter rule)."""
    title = " ".join(topic.split())
    return title[:1].upper() + title[1:]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _primary(lang: str) -> str:
    """The primary language subtag: "de" for "de-ch"."""
    return lang.split("-")[0].lower()


def _retry_after(value: str | None) -> float:
    try:
        return min(_MAX_RETRY_AFTER_S, max(0.0, float(value or "1")))
    except ValueError:
        return 1.0


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def sections(extract: str) -> list[tuple[str, str]]:
    """(section heading, its text) in page order; the lead section's heading is ""."""
    parts: list[tuple[str, str]] = []
    heading, start = "", 0
    for match in _HEADING.finditer(extract):
        parts.append((heading, extract[start : match.start()]))
        heading, start = match.group(2), match.end()
    parts.append((heading, extract[start:]))
    return [(name, text.strip()) for name, text in parts if text.strip()]


def page_facts(page: WikiPage, limit: int) -> list[Fact]:
    """Up to `limit` facts from the page, in page order, each with its section, title, URL and revision.

    Sentences end by the page language's rules, and sections that list further reading are skipped.
    """
    kept = [(name, text) for name, text in sections(page.extract) if name.lower() not in _SKIP_SECTIONS]
    text = "\n\n".join(body for _, body in kept)
    facts = extract_facts(page.title, text, page.url, limit=limit, lang=_primary(page.lang))
    flat = [(name, " ".join(body.split())) for name, body in kept]
    located: list[Fact] = []
    for fact in facts:
        section = next((name for name, body in flat if fact["text"] in body), "")
        located.append({**fact, "title": page.title, "section": section, "revision": page.revision})
    return located
