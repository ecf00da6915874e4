"""Pexels and Pixabay on localhost: scikit-image's photographs, and short real H.264 clips made from them.

Pexels: `GET /v1/search` answers `photos` (id, width, height, url, photographer, photographer_url, alt, src
with original, large2x, large, medium, small, portrait, landscape, tiny) and `GET /videos/search` answers
`videos` (id, width, height, url, image, duration, user {id, name, url}, video_files [{id, quality,
file_type, width, height, fps, link}]). Both want the key in the `Authorization` header, else 401.

Pixabay: `GET /api/?key=…` answers `hits` (id, pageURL, type, tags, webformatURL, webformatWidth,
webformatHeight, largeImageURL, imageWidth, imageHeight, user, user_id) and `GET /api/videos/?key=…`
answers `hits` (id, pageURL, type, tags, duration, videos {large, medium, small, tiny: url, width,
height, size, thumbnail}, user, user_id). A wrong or missing key is a 400 with Pixabay's text.

Each search lists a broken item first (a JPEG or an MP4 that does not decode) so clients must pass over it.
Clips are made at first use with PyAV: the camera glides across the photograph, so frames differ.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from tests.servers.harness import ProtocolServer, Request, Response
from tests.servers.open_media import photo_jpeg

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
# Each clip: photograph, seconds, width, height. Portrait and landscape, short and long.
CLIPS: dict[str, tuple[str, float, int, int]] = {
    "coffee-pour": ("coffee", 2.0, 360, 640),
    "rocket-launch": ("rocket", 3.0, 360, 640),
    "astronaut-wide": ("astronaut", 2.0, 640, 360),
}
CLIP_FPS = 25


def write_clip(path: Path, photo: str, seconds: float, width: int, height: int, fps: int = CLIP_FPS) -> Path:
    """An H.264 MP4 (index first, as stock sites serve them) gliding across a scikit-image photograph."""
    import skimage.data

    rgb = np.asarray(getattr(skimage.data, photo)())
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    rgb = np.ascontiguousarray(rgb[..., :3])
    # Enlarge to cover the frame with room to travel, then glide the window a few pixels a frame (as a
    # slow camera move does), so a clip's end and its start are far apart but neighbouring frames are not.
    scale = max(width / rgb.shape[1], height / rgb.shape[0]) * 1.3
    big = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)))
    frames = max(1, round(seconds * fps))
    travel_x = min(big.shape[1] - width, 3 * frames)
    travel_y = min(big.shape[0] - height, 2 * frames)
    left, top = (big.shape[1] - width - travel_x) // 2, (big.shape[0] - height - travel_y) // 2
    with av.open(str(path), mode="w", format="mp4", container_options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "26"}
        for k in range(frames):
            p = k / max(1, frames - 1)
            x, y = left + round(travel_x * p), top + round(travel_y * p)
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(big[y : y + height, x : x + width]), format="rgb24"
            )
            frame.pts = k
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@cache
def clip_mp4(name: str) -> bytes:
    """One of CLIPS as MP4 bytes, made once per test session."""
    photo, seconds, width, height = CLIPS[name]
    fd, tmp = tempfile.mkstemp(suffix=".mp4")
    os.close(fd)
    try:
        return write_clip(Path(tmp), photo, seconds, width, height).read_bytes()
    finally:
        os.unlink(tmp)


def _photo_size(name: str) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(photo_jpeg(name))) as image:
        return image.size


BROKEN_JPEG = b"\xff\xd8\xff\xe0 not really a jpeg"
BROKEN_MP4 = b"\x00\x00\x00\x18ftypmp42 not really a video" * 4


class _StockServer(ProtocolServer):
    """Shared by both fakes: the key they expect and the media files they serve."""

    def __init__(self, key: str = "test-key-0123456789") -> None:
        self.key = key
        super().__init__()

    def register(self) -> None:
        """Serve photographs and clips."""
        self.route("GET", "/files/photos/", self._photo)
        self.route("GET", "/files/videos/", self._clip)

    def _photo(self, request: Request, fault: str | None) -> Response:
        # Pixabay names a size after the photo (coffee_640.jpg); Pexels adds a query (coffee.jpeg?h=650).
        name = re.sub(r"_\d+$", "", request.path.rsplit("/", 1)[-1].split(".")[0])
        if name == "broken":
            return Response(BROKEN_JPEG, "image/jpeg")
        if name not in PHOTOS:
            return Response.json({"error": "not found"}, status=404)
        return Response(photo_jpeg(name), "image/jpeg")

    def _clip(self, request: Request, fault: str | None) -> Response:
        name = request.path.rsplit("/", 1)[-1].removesuffix(".mp4")
        # Every rendition is the same file here; tests check which one a client asked for.
        name = name.removesuffix("-large").removesuffix("-medium").removesuffix("-tiny")
        if name == "broken":
            return Response(BROKEN_MP4, "video/mp4")
        if name not in CLIPS:
            return Response.json({"error": "not found"}, status=404)
        return Response(clip_mp4(name), "video/mp4")


class PexelsServer(_StockServer):
    """Pexels' photo and video search."""

    def register(self) -> None:
        """Serve /v1/search, /videos/search and the files."""
        super().register()
        self.route("GET", "/v1/search", self._photos)
        self.route("GET", "/videos/search", self._videos)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != self.key:
            return Response.json({"error": "Unauthorized"}, status=401)
        return None

    def _photos(self, request: Request, fault: str | None) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        photos = (
            [] if fault == "empty" else [self._photo_item(i, n) for i, n in enumerate(("broken", *PHOTOS))]
        )
        return Response.json(
            {"page": 1, "per_page": len(photos), "total_results": len(photos), "photos": photos}
        )

    def _photo_item(self, index: int, name: str) -> dict[str, Any]:
        width, height = (640, 960) if name == "broken" else _photo_size(name)
        pid = 1000 + index
        base = f"{self.url}/files/photos/{pid}/{name}.jpeg"
        sizes = {
            "original": "",
            "large2x": "?auto=compress&cs=tinysrgb&dpr=2&h=650&w=940",
            "large": "?auto=compress&cs=tinysrgb&h=650&w=940",
            "medium": "?auto=compress&cs=tinysrgb&h=350",
            "small": "?auto=compress&cs=tinysrgb&h=130",
            "portrait": "?auto=compress&cs=tinysrgb&fit=crop&h=1200&w=800",
            "landscape": "?auto=compress&cs=tinysrgb&fit=crop&h=627&w=1200",
            "tiny": "?auto=compress&cs=tinysrgb&dpr=1&fit=crop&h=200&w=280",
        }
        return {
            "id": pid,
            "width": width,
            "height": height,
            "url": f"{self.url}/photo/{name.replace('_', '-')}-{pid}/",
            "photographer": f"Photographer of {name}",
            "photographer_url": f"{self.url}/@{name}",
            "photographer_id": pid,
            "avg_color": "#7F7F7F",
            "src": {size: base + query for size, query in sizes.items()},
            "liked": False,
            "alt": f"{name.replace('_', ' ')} photograph",
        }

    def _videos(self, request: Request, fault: str | None) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        names = [] if fault == "empty" else ["broken", *CLIPS]
        videos = [self._video_item(i, n) for i, n in enumerate(names)]
        return Response.json(
            {
                "page": 1,
                "per_page": len(videos),
                "total_results": len(videos),
                "url": self.url,
                "videos": videos,
            }
        )

    def _video_item(self, index: int, name: str) -> dict[str, Any]:
        _photo, seconds, width, height = CLIPS.get(name, ("coffee", 2.0, 360, 640))
        vid = 2000 + index
        link = f"{self.url}/files/videos/{vid}/{name}.mp4"
        return {
            "id": vid,
            "width": width * 3,
            "height": height * 3,
            "url": f"{self.url}/video/{name}-{vid}/",
            "image": f"{self.url}/files/photos/{vid}/poster.jpeg",
            "duration": round(seconds),
            "user": {"id": vid, "name": f"Filmmaker of {name}", "url": f"{self.url}/@film-{name}"},
            "video_files": [
                # A 3x rendition: the one to take only when the sd one does not cover the frame.
                {
                    "id": vid * 10 + 1,
                    "quality": "hd",
                    "file_type": "video/mp4",
                    "width": width * 3,
                    "height": height * 3,
                    "fps": CLIP_FPS,
                    "link": f"{self.url}/files/videos/{vid}/{name}-large.mp4",
                },
                {
                    "id": vid * 10 + 2,
                    "quality": "sd",
                    "file_type": "video/mp4",
                    "width": width,
                    "height": height,
                    "fps": CLIP_FPS,
                    "link": link,
                },
                {
                    "id": vid * 10 + 3,
                    "quality": "hls",
                    "file_type": "application/x-mpegURL",
                    "width": None,
                    "height": None,
                    "fps": None,
                    "link": f"{self.url}/files/videos/{vid}/playlist.m3u8",
                },
            ],
            "video_pictures": [{"id": vid, "nr": 0, "picture": f"{self.url}/files/photos/{vid}/poster.jpeg"}],
        }


class PixabayServer(_StockServer):
    """Pixabay's image and video search (the key as a query parameter)."""

    def register(self) -> None:
        """Serve /api/, /api/videos/ and the files."""
        super().register()
        self.route("GET", "/api/videos/", self._videos)
        self.route("GET", "/api/", self._photos)

    def _denied(self, request: Request) -> Response | None:
        if request.query.get("key") != [self.key]:
            return Response(b'[ERROR 400] "key" is wrong or missing.', "text/html", status=400)
        return None

    def _photos(self, request: Request, fault: str | None) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        hits = [] if fault == "empty" else [self._photo_hit(i, n) for i, n in enumerate(("broken", *PHOTOS))]
        return Response.json({"total": len(hits), "totalHits": len(hits), "hits": hits})

    def _photo_hit(self, index: int, name: str) -> dict[str, Any]:
        width, height = (640, 960) if name == "broken" else _photo_size(name)
        pid = 3000 + index
        web = 640 / max(width, height)
        return {
            "id": pid,
            "pageURL": f"{self.url}/photos/{name.replace('_', '-')}-{pid}/",
            "type": "photo",
            "tags": f"{name.replace('_', ' ')}, photograph, science",
            "previewURL": f"{self.url}/files/photos/{pid}/{name}_150.jpg",
            "previewWidth": 150,
            "previewHeight": 150,
            "webformatURL": f"{self.url}/files/photos/{pid}/{name}_640.jpg",
            "webformatWidth": round(width * min(1.0, web)),
            "webformatHeight": round(height * min(1.0, web)),
            "largeImageURL": f"{self.url}/files/photos/{pid}/{name}_1280.jpg",
            "imageWidth": width,
            "imageHeight": height,
            "imageSize": 100_000,
            "views": 10,
            "downloads": 5,
            "likes": 1,
            "comments": 0,
            "user_id": pid,
            "user": f"user_{name}",
            "userImageURL": "",
        }

    def _videos(self, request: Request, fault: str | None) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        names = [] if fault == "empty" else ["broken", *CLIPS]
        hits = [self._video_hit(i, n) for i, n in enumerate(names)]
        return Response.json({"total": len(hits), "totalHits": len(hits), "hits": hits})

    def _video_hit(self, index: int, name: str) -> dict[str, Any]:
        _photo, seconds, width, height = CLIPS.get(name, ("coffee", 2.0, 360, 640))
        vid = 4000 + index
        size = len(BROKEN_MP4) if name == "broken" else len(clip_mp4(name))

        def rendition(scale: float, url: str, nbytes: int) -> dict[str, Any]:
            return {
                "url": url,
                "width": round(width * scale),
                "height": round(height * scale),
                "size": nbytes,
                "thumbnail": f"{self.url}/files/photos/{vid}/poster.jpg",
            }

        return {
            "id": vid,
            "pageURL": f"{self.url}/videos/{name}-{vid}/",
            "type": "film",
            "tags": f"{name.replace('-', ' ')}, film",
            "duration": round(seconds),
            "videos": {
                # Often empty: the upload was smaller than 4K.
                "large": {"url": "", "width": 0, "height": 0, "size": 0, "thumbnail": ""},
                # Over 25 MB: a client must pass over it whatever its size.
                "medium": rendition(2.0, f"{self.url}/files/videos/{vid}/{name}-medium.mp4", 60_000_000),
                "small": rendition(1.0, f"{self.url}/files/videos/{vid}/{name}.mp4", size),
                "tiny": rendition(0.5, f"{self.url}/files/videos/{vid}/{name}-tiny.mp4", size // 3),
            },
            "views": 10,
            "downloads": 5,
            "likes": 1,
            "comments": 0,
            "user_id": vid,
            "user": f"filmmaker_{name.replace('-', '_')}",
            "userImageURL": "",
        }
