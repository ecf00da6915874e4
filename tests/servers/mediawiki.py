"""A MediaWiki site on localhost: the Action API's `list=search`, `prop=pageprops`, `prop=extracts|info`.

Pages are given as {title: (extract, is_disambiguation)}; search ranks titles that share the most words
with the query first, as CirrusSearch roughly does. Answers use `formatversion=2` shapes.
"""

from __future__ import annotations

import re
from typing import Any

from tests.servers.harness import ProtocolServer, Request, Response

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


class MediaWikiServer(ProtocolServer):
    """The Action API at /w/api.php; `pages` maps a title to (its extract with == sections ==, disambig)."""

    def __init__(self, pages: dict[str, tuple[str, bool]] | None = None, revision: int = 1234567) -> None:
        self.pages = (
            pages
            if pages is not None
            else {
                "Glacier (disambiguation)": ("Glacier may refer to several things.", True),
                "Glacier": (GLACIER, False),
                "Glacier National Park": ("Glacier National Park is a park in Montana.", False),
            }
        )
        self.revision = revision
        super().__init__()

    def register(self) -> None:
        """Serve the Action API."""
        self.route("GET", "/w/api.php", self._api)

    def _api(self, request: Request, fault: str | None) -> Response:
        params = {key: values[-1] for key, values in request.query.items()}
        if params.get("action") != "query" or params.get("format") != "json":
            return Response.json({"error": {"code": "badparams", "info": "only action=query&format=json"}})
        if fault == "empty" or params.get("list") == "search" and fault:
            return Response.json({"batchcomplete": True, "query": {"search": []}})
        if params.get("list") == "search":
            return Response.json({"batchcomplete": True, "query": {"search": self._search(params)}})
        titles = [title for title in params.get("titles", "").split("|") if title]
        return Response.json(
            {"batchcomplete": True, "query": {"pages": [self._page(t, params) for t in titles]}}
        )

    def _search(self, params: dict[str, str]) -> list[dict[str, Any]]:
        words = set(re.findall(r"\w+", params.get("srsearch", "").lower()))
        scored = []
        for position, title in enumerate(self.pages):
            shared = len(words & set(re.findall(r"\w+", title.lower()))) + len(
                words & set(re.findall(r"\w+", self.pages[title][0].lower()[:400]))
            )
            if shared:
                scored.append((-shared, position, title))
        limit = int(params.get("srlimit", "10"))
        return [{"ns": 0, "title": title} for _, _, title in sorted(scored)[:limit]]

    def _page(self, title: str, params: dict[str, str]) -> dict[str, Any]:
        if title not in self.pages:
            return {"ns": 0, "title": title, "missing": True}
        extract, disambiguation = self.pages[title]
        page: dict[str, Any] = {"pageid": list(self.pages).index(title) + 1, "ns": 0, "title": title}
        props = params.get("prop", "").split("|")
        if "pageprops" in props and disambiguation:
            page["pageprops"] = {"disambiguation": ""}
        if "info" in props:
            page["lastrevid"] = self.revision
            page["fullurl"] = f"{self.url}/wiki/{title.replace(' ', '_')}"
        if "extracts" in props:
            page["extract"] = extract
        return page
