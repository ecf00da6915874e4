"""Openverse and Wikimedia Commons on localhost, serving real photographs from scikit-image's data module.

Openverse: `GET /v1/images/` answers the documented result objects (id, title, creator, license,
license_version, license_url, foreign_landing_url, url, width, height). Commons: the Action API with
`generator=search` and `prop=imageinfo` (url, thumburl, size, mime, descriptionurl, extmetadata). Each
server also lists one picture under a licence that forbids reuse and one that does not decode.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from PIL import Image

from tests.servers.harness import ProtocolServer, Request, Response

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
# More of scikit-image's photographs, for a search that must give every scene of a long video its own picture
# (Openverse answers 20 a page): `server.photos = PHOTOS + MORE_PHOTOS`.
MORE_PHOTOS = ("retina", "camera", "moon", "grass", "coins", "clock")


@cache
def photo_jpeg(name: str) -> bytes:
    """One of scikit-image's sample photographs as JPEG bytes."""
    import skimage.data

    out = io.BytesIO()
    Image.fromarray(getattr(skimage.data, name)()).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


class _PhotoServer(ProtocolServer):
    photos: tuple[str, ...] = PHOTOS

    def register(self) -> None:
        """Serve the photographs; subclasses add their search API."""
        self.route("GET", "/photos/", self._photo)

    def _photo(self, request: Request, fault: str | None) -> Response:
        name = request.path.rsplit("/", 1)[-1].removesuffix(".jpg")
        if name == "broken":
            return Response(b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg")
        if name not in self.photos:
            return Response.json({"detail": "not found"}, status=404)
        return Response(photo_jpeg(name), "image/jpeg")

    def _size(self, name: str) -> tuple[int, int]:
        if name in ("broken", "forbidden"):
            return 1200, 800
        with Image.open(io.BytesIO(photo_jpeg(name))) as image:
            return image.size


class OpenverseServer(_PhotoServer):
    """Openverse's image search: every query gets one ranked list, a forbidden and a broken one first."""

    def register(self) -> None:
        """Serve /v1/images/ and the photographs."""
        super().register()
        self.route("GET", "/v1/images/", self._search)

    def _search(self, request: Request, fault: str | None) -> Response:
        if fault == "empty":
            return Response.json({"result_count": 0, "page_count": 0, "results": []})
        results = [self._result("forbidden", "by-nc-nd"), self._result("broken", "by")]
        results += [self._result(name, "by" if i % 2 else "cc0") for i, name in enumerate(self.photos)]
        return Response.json({"result_count": len(results), "page_count": 1, "results": results})

    def _result(self, name: str, licence: str) -> dict[str, Any]:
        width, height = self._size(name)
        return {
            "id": f"ov-{name}",
            "title": name.replace("_", " ").title(),
            "creator": f"Photographer of {name}",
            "license": licence,
            "license_version": "" if licence == "cc0" else "4.0",
            "license_url": f"https://creativecommons.org/licenses/{licence}/4.0/",
            "foreign_landing_url": f"{self.url}/landing/{name}",
            "url": f"{self.url}/photos/{name}.jpg",
            "width": width,
            "height": height,
        }


class CommonsServer(_PhotoServer):
    """Wikimedia Commons' Action API: a file search answered with imageinfo and extmetadata."""

    def register(self) -> None:
        """Serve /w/api.php and the photographs."""
        super().register()
        self.route("GET", "/w/api.php", self._api)

    def _api(self, request: Request, fault: str | None) -> Response:
        names = ["forbidden", *self.photos]
        pages = [self._page(i, name) for i, name in enumerate(names)]
        return Response.json({"batchcomplete": True, "query": {"pages": pages}})

    def _page(self, index: int, name: str) -> dict[str, Any]:
        width, height = self._size(name)
        licence = "CC BY-NC 2.0" if name == "forbidden" else "CC BY-SA 4.0"
        return {
            "pageid": 1000 + index,
            "ns": 6,
            "title": f"File:{name}.jpg",
            "index": index + 1,
            "imageinfo": [
                {
                    "url": f"{self.url}/photos/{name}.jpg",
                    "thumburl": f"{self.url}/photos/{name}.jpg",
                    "width": width,
                    "height": height,
                    "mime": "image/jpeg",
                    "descriptionurl": f"{self.url}/wiki/File:{name}.jpg",
                    "extmetadata": {
                        "LicenseShortName": {"value": licence},
                        "Artist": {"value": f'<a href="//commons/User:{name}">User {name}</a>'},
                        "LicenseUrl": {"value": "https://creativecommons.org/licenses/by-sa/4.0"},
                    },
                }
            ],
        }
