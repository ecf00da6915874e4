"""Stock media with a free key: Pexels and Pixabay photographs and short video clips for a scene's words.

Pexels: `GET /v1/search` (photos) and `GET /videos/search` (videos), the key in the `Authorization` header.
Pixabay: `GET /api/` (photos) and `GET /api/videos/` (videos), the key as the `key` query parameter; no
message or log line of ours carries a URL with that parameter (see media_search.hide_key_params).
Everything on both sites is under the site's own licence, which allows reuse with changes and needs no
attribution; we credit the photographer and link the page anyway, as both ask. For each picture or clip
the rendition nearest the frame is taken (the fewest pixels that cover it, at most 25 MB).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from state.model_calls import ImageRequest
from tools.models.media_search import (
    Candidate,
    MediaSearchProvider,
    Search,
    get_ok,
    hide_keys_in_http_logs,
    json_object,
    pick_rendition,
)

PEXELS_LICENCE = ("Pexels License", "https://www.pexels.com/license/")
PIXABAY_LICENCE = ("Pixabay Content License", "https://pixabay.com/service/license-summary/")
_PER_PAGE = 20
_SLUG = re.compile(r"/(?:photo|video|photos|videos|illustrations|vectors)/([a-z0-9-]+?)-?\d*/?$")


def _query(request: ImageRequest) -> str:
    """What to search for: the scene's picture words, at most 100 characters (Pixabay's limit)."""
    return (request.query.strip() or request.prompt)[:100]


def _as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _title(text: str, page_url: str, fallback: str) -> str:
    """A readable title: the site's description, else the words of its page's slug, else `fallback`."""
    if text.strip():
        words = " ".join(text.split())
        return words[:1].upper() + words[1:]
    match = _SLUG.search(page_url)
    slug = match.group(1).replace("-", " ").strip() if match else ""
    return slug[:1].upper() + slug[1:] if slug else fallback


def _within(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The size of a `width` x `height` picture scaled to fit a box, never enlarged (imgix's fit=clip)."""
    scale = min(1.0, box_w / width, box_h / height) if width and height else 0.0
    return round(width * scale), round(height * scale)


def _candidate(
    item_id: str,
    url: str,
    size: tuple[int, int],
    title: str,
    author: str,
    source: str,
    licence: tuple[str, str],
) -> Candidate:
    return {
        "id": item_id,
        "url": url,
        "title": title,
        "author": author or "unknown",
        "license": licence[0],
        "license_url": licence[1],
        "source": source,
        "width": str(size[0]),
        "height": str(size[1]),
    }


# --- Pexels ---------------------------------------------------------------------------------------------


def _pexels_orientation(request: ImageRequest) -> str:
    if request.width == request.height:
        return "square"
    return "landscape" if request.width > request.height else "portrait"


def _pexels_photos(key: str) -> Search:
    """Pexels' photo search: `GET /v1/search?query=…&orientation=…&per_page=…` (Pexels moderates its
    library, so there is no safe-search switch to set)."""

    def search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
        body = json_object(
            get_ok(
                client,
                f"{endpoint}/v1/search",
                {
                    "query": _query(request),
                    "orientation": _pexels_orientation(request),
                    "per_page": _PER_PAGE,
                },
                headers={"Authorization": key},
            )
        )
        found = []
        for item in body.get("photos") or []:
            if not isinstance(item, dict) or not isinstance(item.get("src"), dict) or not item.get("id"):
                continue
            width, height, src = _as_int(item.get("width")), _as_int(item.get("height")), item["src"]
            # The documented sizes that keep the photo's shape: large2x and large fit 940x650 (at 2x and 1x),
            # medium is 350 px high, original is the whole photo.
            sizes = {
                "medium": _within(width, height, 10**6, 350),
                "large": _within(width, height, 940, 650),
                "large2x": _within(width, height, 1880, 1300),
                "original": (width, height),
            }
            names = [name for name in sizes if src.get(name)]
            chosen = pick_rendition([(*sizes[n], 0) for n in names], request.width, request.height)
            if chosen is None:
                continue
            name = names[chosen]
            page = str(item.get("url") or "")
            found.append(
                _candidate(
                    str(item["id"]),
                    str(src[name]),
                    sizes[name],
                    _title(str(item.get("alt") or ""), page, f"Pexels photo {item['id']}"),
                    str(item.get("photographer") or ""),
                    page or str(src[name]),
                    PEXELS_LICENCE,
                )
            )
        return found

    return search


def _pexels_videos(key: str) -> Search:
    """Pexels' video search: `GET /videos/search?query=…&orientation=…`; of each video's `video_files`,
    the MP4 rendition nearest the frame."""

    def search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
        body = json_object(
            get_ok(
                client,
                f"{endpoint}/videos/search",
                {
                    "query": _query(request),
                    "orientation": _pexels_orientation(request),
                    "per_page": _PER_PAGE,
                },
                headers={"Authorization": key},
            )
        )
        found = []
        for item in body.get("videos") or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            files = [
                f
                for f in item.get("video_files") or []
                if isinstance(f, dict) and f.get("file_type") == "video/mp4" and f.get("link")
            ]
            sizes = [(_as_int(f.get("width")), _as_int(f.get("height"))) for f in files]
            chosen = pick_rendition([(*size, 0) for size in sizes], request.width, request.height)
            if chosen is None:
                continue
            user = item["user"] if isinstance(item.get("user"), dict) else {}
            page = str(item.get("url") or "")
            found.append(
                _candidate(
                    f"video-{item['id']}",
                    str(files[chosen]["link"]),
                    sizes[chosen],
                    _title("", page, f"Pexels video {item['id']}"),
                    str(user.get("name") or ""),
                    page or str(files[chosen]["link"]),
                    PEXELS_LICENCE,
                )
            )
        return found

    return search


def pexels_image(
    url: str, key: str, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> MediaSearchProvider:
    """Pexels as an image provider: photos, and video clips when the request wants them."""
    return MediaSearchProvider(
        "pexels",
        _pexels_photos(key),
        url,
        timeout_s,
        transport,
        clip_search=_pexels_videos(key),
        secret=key,
    )


# --- Pixabay --------------------------------------------------------------------------------------------


def _pixabay_photos(key: str) -> Search:
    """Pixabay's image search: `GET /api/?key=…&q=…&image_type=photo&orientation=…&safesearch=true`."""

    def search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
        orientation = (
            "all"
            if request.width == request.height
            else "horizontal"
            if request.width > request.height
            else "vertical"
        )
        params: dict[str, str | int] = {
            "key": key,
            "q": _query(request),
            "image_type": "photo",
            "orientation": orientation,
            "safesearch": "true",
            "per_page": _PER_PAGE,
        }
        body = json_object(get_ok(client, f"{endpoint}/api/", params))
        found = []
        for item in body.get("hits") or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            width, height = _as_int(item.get("imageWidth")), _as_int(item.get("imageHeight"))
            # webformatURL is at most 640 px on its long side (its size is given), largeImageURL 1280 px.
            sizes = {
                "webformatURL": (_as_int(item.get("webformatWidth")), _as_int(item.get("webformatHeight"))),
                "largeImageURL": _within(width, height, 1280, 1280),
            }
            names = [name for name in sizes if item.get(name)]
            chosen = pick_rendition([(*sizes[n], 0) for n in names], request.width, request.height)
            if chosen is None:
                continue
            name = names[chosen]
            page = str(item.get("pageURL") or "")
            found.append(
                _candidate(
                    str(item["id"]),
                    str(item[name]),
                    sizes[name],
                    _title(str(item.get("tags") or ""), page, f"Pixabay photo {item['id']}"),
                    str(item.get("user") or ""),
                    page or str(item[name]),
                    PIXABAY_LICENCE,
                )
            )
        return found

    return search


def _pixabay_videos(key: str) -> Search:
    """Pixabay's video search: `GET /api/videos/?key=…&q=…&video_type=film&safesearch=true`; of each
    video's large, medium, small and tiny renditions, the one nearest the frame within 25 MB."""

    def search(client: httpx.Client, endpoint: str, request: ImageRequest) -> list[Candidate]:
        params: dict[str, str | int] = {
            "key": key,
            "q": _query(request),
            "video_type": "film",
            "safesearch": "true",
            "per_page": _PER_PAGE,
        }
        body = json_object(get_ok(client, f"{endpoint}/api/videos/", params))
        found = []
        for item in body.get("hits") or []:
            if not isinstance(item, dict) or not isinstance(item.get("videos"), dict) or not item.get("id"):
                continue
            # "large" is often an empty entry (no URL, zero size) when the upload was smaller than 4K.
            files = [v for v in item["videos"].values() if isinstance(v, dict) and v.get("url")]
            sizes = [
                (_as_int(f.get("width")), _as_int(f.get("height")), _as_int(f.get("size"))) for f in files
            ]
            chosen = pick_rendition(sizes, request.width, request.height)
            if chosen is None:
                continue
            page = str(item.get("pageURL") or "")
            found.append(
                _candidate(
                    f"video-{item['id']}",
                    str(files[chosen]["url"]),
                    (sizes[chosen][0], sizes[chosen][1]),
                    _title(str(item.get("tags") or ""), page, f"Pixabay video {item['id']}"),
                    str(item.get("user") or ""),
                    page or str(files[chosen]["url"]),
                    PIXABAY_LICENCE,
                )
            )
        return found

    return search


def pixabay_image(
    url: str, key: str, timeout_s: float = 20.0, transport: httpx.BaseTransport | None = None
) -> MediaSearchProvider:
    """Pixabay as an image provider: photos, and video clips when the request wants them."""
    hide_keys_in_http_logs()
    return MediaSearchProvider(
        "pixabay",
        _pixabay_photos(key),
        url,
        timeout_s,
        transport,
        clip_search=_pixabay_videos(key),
        secret=key,
    )
