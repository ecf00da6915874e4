"""Open media: openly licensed photographs from Openverse and Wikimedia Commons, found by a scene's words.

Both are searched over their documented HTTP APIs (Openverse `/v1/images/`, Commons' MediaWiki Action API
with `prop=imageinfo`). Only licences that allow reuse with changes are taken (CC0, public domain, CC BY,
CC BY-SA): a crop is a change, so "no derivatives" is out, and "non-commercial" is out because videos may
earn money. Each picture comes with its credit (title, author, licence, source URL), and a picture that
another scene of the run already claimed is passed over.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from state.model_calls import Capability, HealthResult, ImageRequest, MediaAnswer, Tier
from tools.models.failures import ProviderError
from tools.web import USER_AGENT

MAX_IMAGE_BYTES = 25_000_000
_OPENVERSE_LICENCES = ("cc0", "pdm", "by", "by-sa")
_TAGS = re.compile(r"<[^>]+>")


def _get(client: httpx.Client, url: str, **params: Any) -> httpx.Response:
    """GET with the failure kinds the router knows."""
    try:
        response = client.get(url, params=params or None)
    except httpx.TimeoutException:
        raise ProviderError("timeout", f"{url} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise ProviderError(
            "refused", f"{url}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    if response.status_code == 429:
        retry = response.headers.get("Retry-After")
        try:
            wait = float(retry) if retry else None
        except ValueError:
            wait = None
        raise ProviderError("rate_limited", f"{url} is rate-limiting requests", retry_after_s=wait)
    if response.status_code >= 500:
        raise ProviderError("server_error", f"{url} answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise ProviderError("bad_request", f"{url} answered HTTP {response.status_code}")
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("malformed", "the answer is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("malformed", "the answer is not a JSON object")
    return body


# A source's search: (client, its base URL, the request) -> candidates, each with id, url, title, author,
# license, license_url, source, width and height.
Search = Callable[[httpx.Client, str, ImageRequest], list[dict[str, str]]]


class OpenMediaImage:
    """One open-media source as an image provider: its search, then the download, the claim, the credit."""

    tier: Tier = "free"
    capability: Capability = "image"

    def __init__(
        self,
        name: str,
        search: Search,
        url: str,
        timeout_s: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self._search = search
        self.endpoint = url.rstrip("/")
        self.timeout_s = timeout_s
        self.transport = transport

    @property
    def model(self) -> str:
        """Open media has no model: the ledger records the source."""
        return self.name

    def _client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.timeout_s,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            max_redirects=3,
            transport=self.transport,
        )

    def call(self, request: ImageRequest) -> MediaAnswer:
        """The best openly licensed picture for the scene's words that no other scene of the run has."""
        query = request.query.strip() or request.prompt[:100]
        with self._client() as client:
            candidates = self._search(client, self.endpoint, request)
            if not candidates:
                raise ProviderError("empty", f"no openly licensed picture for '{query}'")
            wanted_landscape = request.width >= request.height
            # Pictures of the frame's orientation and enough pixels first, then the source's own ranking.
            ranked = sorted(
                candidates,
                key=lambda c: (
                    (int(c.get("width") or 0) >= int(c.get("height") or 0)) != wanted_landscape,
                    int(c.get("width") or 0) * int(c.get("height") or 0)
                    < request.width * request.height // 4,
                ),
            )
            for candidate in ranked:
                if request.claim is not None and not request.claim(f"{self.name}:{candidate['id']}"):
                    continue
                data = _get(client, candidate["url"]).content
                if len(data) > MAX_IMAGE_BYTES or not _decodes(data):
                    continue
                credit = {
                    key: candidate[key] for key in ("title", "author", "license", "license_url", "source")
                }
                return MediaAnswer(data, self.name, "", credit={**credit, "provider": self.name})
        raise ProviderError("empty", f"every picture for '{query}' is already in another scene")

    def check(self) -> HealthResult:
        """Reachable: one small search."""
        started = time.monotonic()
        try:
            with self._client() as client:
                self._search(client, self.endpoint, ImageRequest("sky", 64, 64, lambda: b"", query="sky"))
        except ProviderError as error:
            return HealthResult(
                False, (time.monotonic() - started) * 1000, error=f"{error.kind}: {error.detail}"
            )
        return HealthResult(True, (time.monotonic() - started) * 1000, models=[self.name])


def _openverse_search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[dict[str, str]]:
    """Openverse's image search (no key): `GET /v1/images/?q=…&license=cc0,pdm,by,by-sa`."""
    aspect = (
        "wide" if request.width > request.height else "tall" if request.height > request.width else "square"
    )
    body = _json(
        _get(
            client,
            f"{endpoint}/v1/images/",
            q=request.query or request.prompt[:100],
            license=",".join(_OPENVERSE_LICENCES),
            aspect_ratio=aspect,
            page_size=20,
            mature="false",
        )
    )
    found = []
    for item in body.get("results", []) or []:
        if not isinstance(item, dict) or str(item.get("license", "")).lower() not in _OPENVERSE_LICENCES:
            continue
        if not item.get("url") or not item.get("id"):
            continue
        code = str(item["license"]).lower()
        version = f" {item['license_version']}" if item.get("license_version") else ""
        licence = code.upper() if code in ("cc0", "pdm") else f"CC {code.upper()}{version}"
        found.append(
            {
                "id": str(item["id"]),
                "url": str(item["url"]),
                "title": str(item.get("title") or "Untitled"),
                "author": str(item.get("creator") or "unknown"),
                "license": licence,
                "license_url": str(item.get("license_url") or ""),
                "source": str(item.get("foreign_landing_url") or item["url"]),
                "width": str(item.get("width") or 0),
                "height": str(item.get("height") or 0),
            }
        )
    return found


_COMMONS_OK = re.compile(r"^(cc0|public domain|pd\b.*|cc[ -]by(-sa)?[ -]?\d(\.\d)?.*)$", re.IGNORECASE)


def _commons_search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[dict[str, str]]:
    """Wikimedia Commons through the Action API: a file search with `prop=imageinfo` and its licence."""
    body = _json(
        _get(
            client,
            f"{endpoint}/w/api.php",
            action="query",
            format="json",
            formatversion=2,
            generator="search",
            gsrsearch=f"filetype:bitmap {request.query or request.prompt[:100]}",
            gsrnamespace=6,
            gsrlimit=20,
            prop="imageinfo",
            iiprop="url|size|mime|extmetadata",
            iiurlwidth=max(request.width, request.height),
        )
    )
    pages = body.get("query", {}).get("pages", []) if isinstance(body.get("query"), dict) else []
    found = []
    for page in sorted(pages, key=lambda p: p.get("index", 0)):
        info = (page.get("imageinfo") or [{}])[0]
        meta = info.get("extmetadata", {})
        licence = _meta(meta, "LicenseShortName")
        if not _COMMONS_OK.match(licence) or not str(info.get("mime", "")).startswith("image/"):
            continue
        found.append(
            {
                "id": str(page.get("pageid") or page.get("title")),
                "url": str(info.get("thumburl") or info.get("url") or ""),
                "title": str(page.get("title", "")).removeprefix("File:"),
                "author": _meta(meta, "Artist") or "unknown",
                "license": licence,
                "license_url": _meta(meta, "LicenseUrl"),
                "source": str(info.get("descriptionurl") or ""),
                "width": str(info.get("width") or 0),
                "height": str(info.get("height") or 0),
            }
        )
    return [item for item in found if item["url"]]


def openverse_image(
    url: str, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> OpenMediaImage:
    """Openverse as an image provider."""
    return OpenMediaImage("openverse", _openverse_search, url, timeout_s, transport)


def commons_image(
    url: str, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> OpenMediaImage:
    """Wikimedia Commons as an image provider."""
    return OpenMediaImage("commons", _commons_search, url, timeout_s, transport)


def _decodes(data: bytes) -> bool:
    """Whether the bytes are a picture Pillow can read whole (a broken file is passed over)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # any decoder error means the same: not this picture
        return False
    return True


def _meta(meta: dict[str, Any], key: str) -> str:
    """An extmetadata value as plain text (Commons sends HTML for authors)."""
    value = meta.get(key, {})
    text = value.get("value", "") if isinstance(value, dict) else ""
    return " ".join(html.unescape(_TAGS.sub(" ", str(text))).split())
