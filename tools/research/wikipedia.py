"""Wikipedia (any MediaWiki site) through the Action API: find the page for a topic, take its facts.

Search (`list=search`), then the candidates' `pageprops` to pass over disambiguation pages, then the chosen
page's plain-text extract with its sections (`prop=extracts`), URL (`prop=info`, `inprop=url`) and revision.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from state import Fact
from tools.errors import ReelforgeError
from tools.sources import extract_facts
from tools.web import USER_AGENT

# A page longer than this is cut: the lead and the first sections carry the facts a short video needs.
MAX_EXTRACT_CHARS = 200_000
# Sections whose sentences are lists of other places to read, not facts.
_SKIP_SECTIONS = frozenset(
    {"see also", "references", "external links", "further reading", "notes", "bibliography", "sources"}
)
_HEADING = re.compile(r"^(={2,6})\s*(.+?)\s*\1\s*$", re.MULTILINE)
_MAX_RETRY_AFTER_S = 5.0


class ResearchUnavailable(ReelforgeError):
    """The research source cannot be asked now (no network, refused, too slow, rate-limited)."""


@dataclass(frozen=True)
class WikiPage:
    """The page chosen for a topic."""

    title: str
    url: str
    revision: int
    extract: str


class Wikipedia:
    """A MediaWiki site's Action API, asked over HTTP with a timeout; `transport` is for tests."""

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

        (None, []) when the site knows no page for the topic; ResearchUnavailable when it cannot be asked.
        """
        base = self.base_url(lang)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        with httpx.Client(
            base_url=base, timeout=self.timeout_s, headers=headers, transport=self.transport
        ) as client:
            page = self._find_page(client, base, topic)
        if page is None:
            return None, []
        return page, page_facts(page, self.max_facts)

    def _find_page(self, client: httpx.Client, base: str, topic: str) -> WikiPage | None:
        found = self._query(client, base, list="search", srsearch=topic, srlimit=5, srprop="")
        titles = [hit["title"] for hit in found.get("search", []) if isinstance(hit, dict) and "title" in hit]
        if not titles:
            return None
        props = self._query(
            client, base, prop="pageprops", ppprop="disambiguation", titles="|".join(titles), redirects=1
        )
        disambiguation = {
            page.get("title")
            for page in props.get("pages", [])
            if "disambiguation" in page.get("pageprops", {})
        }
        for title in titles:
            if title in disambiguation:
                continue
            details = self._query(
                client,
                base,
                prop="extracts|info",
                explaintext=1,
                exsectionformat="wiki",
                inprop="url",
                titles=title,
                redirects=1,
            )
            pages = [page for page in details.get("pages", []) if not page.get("missing")]
            if pages and pages[0].get("extract"):
                page = pages[0]
                return WikiPage(
                    title=str(page.get("title", title)),
                    url=str(page.get("fullurl") or f"{base}/wiki/{title.replace(' ', '_')}"),
                    revision=int(page.get("lastrevid") or 0),
                    extract=str(page["extract"])[:MAX_EXTRACT_CHARS],
                )
        return None

    def _query(self, client: httpx.Client, base: str, **params: Any) -> dict[str, Any]:
        """One `action=query` call; its `query` object. One wait when the site asks for it (429)."""
        params = {"action": "query", "format": "json", "formatversion": 2, **params}
        response = self._get(client, base, params)
        if response.status_code == 429:
            time.sleep(_retry_after(response))
            response = self._get(client, base, params)
        if response.status_code == 429:
            raise ResearchUnavailable(f"Wikipedia at {base} is rate-limiting requests; try again later")
        if response.status_code != 200:
            raise ResearchUnavailable(f"Wikipedia at {base} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ResearchUnavailable(
                f"Wikipedia at {base} answered with something other than JSON"
            ) from None
        if not isinstance(body, dict) or "error" in body:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise ResearchUnavailable(
                f"Wikipedia at {base} refused the query ({error.get('info', 'no reason')})"
            )
        query = body.get("query", {})
        return query if isinstance(query, dict) else {}

    def _get(self, client: httpx.Client, base: str, params: dict[str, Any]) -> httpx.Response:
        try:
            return client.get("/w/api.php", params=params)
        except httpx.TimeoutException:
            raise ResearchUnavailable(
                f"Wikipedia at {base} did not answer within {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ResearchUnavailable(f"Wikipedia at {base} cannot be reached ({_reason(exc)})") from None


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(_MAX_RETRY_AFTER_S, max(0.0, float(response.headers.get("Retry-After", "1"))))
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
    """Up to `limit` facts from the page, in page order, each with its section, title, URL and revision."""
    kept = [(name, text) for name, text in sections(page.extract) if name.lower() not in _SKIP_SECTIONS]
    text = "\n\n".join(body for _, body in kept)
    facts = extract_facts(page.title, text, page.url, limit=limit)
    located: list[Fact] = []
    for fact in facts:
        section = next((name for name, body in kept if fact["text"] in body), "")
        located.append({**fact, "title": page.title, "section": section, "revision": page.revision})
    return located
