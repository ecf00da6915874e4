"""Open media: openly licensed photographs from Openverse and Wikimedia Commons, found by a scene's words.

Both are searched over their documented HTTP APIs (Openverse `/v1/images/`, Commons' MediaWiki Action API
with `prop=imageinfo`). Only licences that allow reuse with changes are taken (CC0, public domain, CC BY,
CC BY-SA): a crop is a change, so "no derivatives" is out, and "non-commercial" is out because videos may
earn money. Each picture comes with its credit (title, author, licence, source URL), and a picture that
another scene of the run already claimed is passed over (tools/models/media_search.py does that part).
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from state.model_calls import ImageRequest
from tools.models.media_search import Candidate, MediaSearchProvider, get_ok, json_object

_OPENVERSE_LICENCES = ("cc0", "pdm", "by", "by-sa")
_TAGS = re.compile(r"<[^>]+>")


def _openverse_search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
    """Openverse's image search (no key): `GET /v1/images/?q=…&license=cc0,pdm,by,by-sa`."""
    aspect = (
        "wide" if request.width > request.height else "tall" if request.height > request.width else "square"
    )
    body = json_object(
        get_ok(
            client,
            f"{endpoint}/v1/images/",
            {
                "q": request.query or request.prompt[:100],
                "license": ",".join(_OPENVERSE_LICENCES),
                "aspect_ratio": aspect,
                "page_size": 20,
                "mature": "false",
            },
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


def _commons_search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
    """Wikimedia Commons through the Action API: a file search with `prop=imageinfo` and its licence."""
    body = json_object(
        get_ok(
            client,
            f"{endpoint}/w/api.php",
            {
                "action": "query",
                "format": "json",
                "formatversion": 2,
                "generator": "search",
                "gsrsearch": f"filetype:bitmap {request.query or request.prompt[:100]}",
                "gsrnamespace": 6,
                "gsrlimit": 20,
                "prop": "imageinfo",
                "iiprop": "url|size|mime|extmetadata",
                "iiurlwidth": max(request.width, request.height),
            },
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
) -> MediaSearchProvider:
    """Openverse as an image provider."""
    return MediaSearchProvider("openverse", _openverse_search, url, timeout_s, transport)


def commons_image(
    url: str, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> MediaSearchProvider:
    """Wikimedia Commons as an image provider."""
    return MediaSearchProvider("commons", _commons_search, url, timeout_s, transport)


def _meta(meta: dict[str, Any], key: str) -> str:
    """An extmetadata value as plain text (Commons sends HTML for authors)."""
    value = meta.get(key, {})
    text = value.get("value", "") if isinstance(value, dict) else ""
    return " ".join(html.unescape(_TAGS.sub(" ", str(text))).split())
