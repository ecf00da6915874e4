"""A MediaWiki site on localhost: the Action API and the REST summary, for one or several languages.

Action API (`/w/api.php`, `formatversion=2` shapes): `list=search`, `generator=search` (pages carry their
search rank as `index`, listed by page id as MediaWiki does), `titles=` and `pageids=`, with `prop=pageprops`
(`ppprop`), `prop=info` (`inprop=url`: `fullurl`; `lastrevid`, `pagelanguage`) and TextExtracts'
`prop=extracts` (`exintro`, `explaintext`, `exsectionformat`, `exlimit`; whole-page extracts one page at a
time, as TextExtracts allows). REST API: `GET /api/rest_v1/page/summary/{title}` with the documented fields
(type "standard"/"disambiguation", title, extract, content_urls, revision as a string, lang) and RESTBase's
not_found problem for a missing page.

Pages are given as {title: (extract with == sections ==, is_disambiguation)}; search ranks titles that share
the most words with the query first, as CirrusSearch roughly does. `sites` serves one wiki per language under
`/<lang>/` (point a client at `server.url + "/{lang}"`); `action_api`, `text_extracts` and `rest_api` switch
parts off to stand for a mirror without them. A slow site is the harness's `server.delay_s`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from tests.servers.harness import ProtocolServer, Request, Response

Pages = dict[str, tuple[str, bool]]

GLACIER = """A glacier is a persistent body of dense ice that is constantly moving downhill under its weight.
Glaciers cover about 10 percent of the land surface of Earth, some 15 million square kilometres.
About 69 percent of the fresh water on Earth is stored in glaciers and ice sheets.

== Motion ==
Glacier ice moves by internal deformation and by sliding at its base over a film of meltwater.
The Kutiah Glacier in Pakistan advanced more than 12 kilometres in three months in 1953.
Most glaciers move between a few centimetres and a few metres per day.

== Formation ==
Glaciers form where more snow accumulates each winter than melts each summer, over many years.
Under pressure the buried snow turns into firn and then, after decades, into dense glacial ice.

== See also ==
List of glaciers in Europe and the Americas is a page with many links to other pages.
"""

# A German page whose sentences hold the abbreviations and ordinal dates German writes with full stops,
# and whose last sections are German Wikipedia's lists of further reading.
GOLDEN_GATE_DE = """\
Die Golden Gate Bridge ist eine Hängebrücke über das Golden Gate, die Meerenge zwischen der Bucht von \
San Francisco und dem Pazifischen Ozean.
Sie wurde am 27. Mai 1937 für Fußgänger und einen Tag später für den Autoverkehr eröffnet.
Mit einer Spannweite von 1280 Metern war sie bis 1964 die längste Hängebrücke der Welt.

== Geschichte ==
Der Bau begann am 5. Januar 1933 unter der Leitung des Chefingenieurs Joseph B. Strauss.
Die Pläne stammten u. a. von Leon Moisseiff und Charles Alton Ellis, die viele Berechnungen beisteuerten.
Die Baukosten betrugen rund 35 Mio. US-Dollar, was damals eine gewaltige Summe für eine Brücke war.

== Bauwerk ==
Die beiden Pylone ragen 227 Meter über den Wasserspiegel und sind z. B. vom Hafen aus gut zu sehen.
Der Anstrich in der Farbe International Orange macht die Brücke auch bei dichtem Nebel gut sichtbar.
Über die Brücke führt der Highway Nr. 101 von San Francisco nach Norden in das Marin County.

== Siehe auch ==
Die Liste der längsten Hängebrücken der Welt nennt viele weitere Brücken mit ihren Spannweiten.

== Literatur ==
Kevin Starr schrieb im Jahr 2010 ein ausführliches Buch über die Geschichte dieser berühmten Brücke.

== Weblinks ==
Die offizielle Seite der Brückenbehörde bietet aktuelle Verkehrsinformationen und viele historische Fotos.

== Einzelnachweise ==
Die Angaben zur Spannweite folgen den Daten der Behörde für die Brücke und ihre Zufahrtsstraßen.
"""

DEFAULT_PAGES: Pages = {
    "Glacier (disambiguation)": ("Glacier may refer to several things.", True),
    "Glacier": (GLACIER, False),
    "Glacier National Park": ("Glacier National Park is a park in Montana.", False),
}

_HEADING = re.compile(r"^(={2,6})\s*(.+?)\s*\1\s*$", re.MULTILINE)
# TextExtracts gives several extracts in one answer only with exintro, and at most this many.
_MAX_INTRO_EXTRACTS = 20


def intro(extract: str) -> str:
    """The lead section: the text before the first heading."""
    match = _HEADING.search(extract)
    return (extract[: match.start()] if match else extract).strip()


class MediaWikiServer(ProtocolServer):
    """A MediaWiki site (or one per language in `sites`) with the Action API and the REST summary."""

    def __init__(
        self,
        pages: Pages | None = None,
        revision: int = 1234567,
        *,
        sites: dict[str, Pages] | None = None,
        lang: str = "en",
        action_api: bool = True,
        text_extracts: bool = True,
        rest_api: bool = True,
    ) -> None:
        # Path prefix ("" or "/de") -> (language, pages).
        self.sites: dict[str, tuple[str, Pages]] = (
            {f"/{code}": (code, site) for code, site in sites.items()}
            if sites is not None
            else {"": (lang, pages if pages is not None else dict(DEFAULT_PAGES))}
        )
        self.revision = revision
        self.action_api = action_api
        self.text_extracts = text_extracts
        self.rest_api = rest_api
        super().__init__()

    @property
    def pages(self) -> Pages:
        """The pages of the only (or first) site."""
        return next(iter(self.sites.values()))[1]

    def register(self) -> None:
        """Serve each site's Action API and REST summary under its prefix."""
        for prefix in self.sites:
            if self.action_api:
                self.route("GET", f"{prefix}/w/api.php", self._api_for(prefix))
            if self.rest_api:
                self.route("GET", f"{prefix}/api/rest_v1/page/summary/", self._summary_for(prefix))

    def page_url(self, prefix: str, title: str) -> str:
        """A page's address on the site under `prefix`."""
        return f"{self.url}{prefix}/wiki/{title.replace(' ', '_')}"

    # ---- Action API ---------------------------------------------------------------------------------

    def _api_for(self, prefix: str) -> Any:
        def api(request: Request, fault: str | None) -> Response:
            return self._api(prefix, request, fault)

        return api

    def _api(self, prefix: str, request: Request, fault: str | None) -> Response:
        params = {key: values[-1] for key, values in request.query.items()}
        if params.get("action") != "query" or params.get("format") != "json":
            return Response.json({"error": {"code": "badparams", "info": "only action=query&format=json"}})
        # A search that finds nothing: `list=search` answers an empty list, a generator no `query` at all.
        empty = fault is not None
        if params.get("list") == "search":
            hits = [] if empty else self._search(prefix, params.get("srsearch", ""), params.get("srlimit"))
            found = [{"ns": 0, "title": title} for title in hits]
            return Response.json({"batchcomplete": True, "query": {"search": found}})
        if params.get("generator") == "search":
            hits = [] if empty else self._search(prefix, params.get("gsrsearch", ""), params.get("gsrlimit"))
            if not hits:
                return Response.json({"batchcomplete": True})
            rank = {title: index for index, title in enumerate(hits, start=1)}
        elif "pageids" in params:
            ids = {int(i) for i in params["pageids"].split("|") if i.isdigit()}
            rank = {title: 0 for title in self.sites[prefix][1] if self._pageid(prefix, title) in ids}
        else:
            rank = {title: 0 for title in params.get("titles", "").split("|") if title}
        warnings: list[str] = []
        pages = [self._page(prefix, title, params) for title in rank]
        pages.sort(key=lambda page: int(page.get("pageid", 0)))
        for page in pages:
            if rank.get(page["title"]):
                page["index"] = rank[page["title"]]
        self._extracts(prefix, pages, params, warnings)
        body: dict[str, Any] = {"batchcomplete": True, "query": {"pages": pages}}
        if warnings:
            body["warnings"] = {"main": {"warnings": "\n".join(warnings)}}
        return Response.json(body)

    def _search(self, prefix: str, query: str, limit: str | None) -> list[str]:
        site = self.sites[prefix][1]
        words = set(re.findall(r"\w+", query.lower()))
        scored = []
        for position, title in enumerate(site):
            shared = len(words & set(re.findall(r"\w+", title.lower()))) + len(
                words & set(re.findall(r"\w+", site[title][0].lower()[:400]))
            )
            if shared:
                scored.append((-shared, position, title))
        return [title for _, _, title in sorted(scored)[: int(limit or 10)]]

    def _pageid(self, prefix: str, title: str) -> int:
        return list(self.sites[prefix][1]).index(title) + 1

    def _page(self, prefix: str, title: str, params: dict[str, str]) -> dict[str, Any]:
        lang, site = self.sites[prefix]
        if title not in site:
            return {"ns": 0, "title": title, "missing": True}
        _, disambiguation = site[title]
        page: dict[str, Any] = {"pageid": self._pageid(prefix, title), "ns": 0, "title": title}
        props = params.get("prop", "").split("|")
        wanted = params.get("ppprop", "disambiguation").split("|")
        if "pageprops" in props and disambiguation and "disambiguation" in wanted:
            page["pageprops"] = {"disambiguation": ""}
        if "info" in props:
            page.update(lastrevid=self.revision, pagelanguage=lang, contentmodel="wikitext")
            if "url" in params.get("inprop", "").split("|"):
                page["fullurl"] = page["canonicalurl"] = self.page_url(prefix, title)
        return page

    def _extracts(
        self, prefix: str, pages: list[dict[str, Any]], params: dict[str, str], warnings: list[str]
    ) -> None:
        """TextExtracts: every page's lead with exintro (up to exlimit), else one whole page."""
        if "extracts" not in params.get("prop", "").split("|"):
            return
        if not self.text_extracts:
            warnings.append('Unrecognized value for parameter "prop": extracts.')
            return
        site = self.sites[prefix][1]
        whole = not params.get("exintro")
        asked = params.get("exlimit", "1")
        limit = _MAX_INTRO_EXTRACTS if asked == "max" else min(int(asked), _MAX_INTRO_EXTRACTS)
        if whole and limit > 1:
            warnings.append("exlimit was too large for a whole article extracts request, lowered to 1.")
            limit = 1
        present = [page for page in pages if not page.get("missing")]
        for page in present[:limit]:
            text = site[page["title"]][0]
            text = text if whole else intro(text)
            if params.get("exsectionformat", "wiki") == "plain":
                text = _HEADING.sub(lambda match: match.group(2), text)
            page["extract"] = text

    # ---- REST API -----------------------------------------------------------------------------------

    def _summary_for(self, prefix: str) -> Any:
        def summary(request: Request, fault: str | None) -> Response:
            return self._summary(prefix, request)

        return summary

    def _summary(self, prefix: str, request: Request) -> Response:
        lang, site = self.sites[prefix]
        raw = unquote(request.path.split("/api/rest_v1/page/summary/", 1)[1])
        title = raw.replace("_", " ")
        title = title[:1].upper() + title[1:]
        if title not in site:
            return Response.json(
                {
                    "type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
                    "title": "Not found.",
                    "method": "get",
                    "detail": "Page or revision not found.",
                    "uri": request.path,
                },
                status=404,
            )
        text, disambiguation = site[title]
        lead = intro(text)
        url = self.page_url(prefix, title)
        return Response.json(
            {
                "type": "disambiguation" if disambiguation else "standard",
                "title": title,
                "displaytitle": title,
                "namespace": {"id": 0, "text": ""},
                "pageid": self._pageid(prefix, title),
                "lang": lang,
                "dir": "ltr",
                "revision": str(self.revision),
                "tid": "4c0b1d1e-0000-11ef-8000-000000000000",
                "timestamp": "2024-05-01T12:00:00Z",
                "description": "",
                "content_urls": {
                    "desktop": {"page": url, "revisions": f"{url}?action=history"},
                    "mobile": {"page": url, "revisions": f"{url}?action=history"},
                },
                "extract": " ".join(lead.split()),
                "extract_html": f"<p>{' '.join(lead.split())}</p>",
            }
        )
