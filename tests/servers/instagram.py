"""Instagram's Graph API on localhost: the Content Publishing flow for Reels, as Meta documents it.

- `POST /{version}/{ig-user-id}/media` (form or query parameters: media_type=REELS, video_url, caption,
  share_to_feed) creates a container and, as Meta does, fetches `video_url` over HTTP at once; the
  answer is {"id": container}.
- `GET /{version}/{container}?fields=status_code,status`: IN_PROGRESS for the first `processing_polls`
  polls, then FINISHED when the fetch gave a video (ERROR with Meta's text when it did not, or when
  `fail_processing` is set), PUBLISHED once published; `expire_containers` makes new ones EXPIRED.
- `POST /{version}/{ig-user-id}/media_publish` (creation_id) publishes a FINISHED container: {"id": media};
  a container that is not FINISHED is error 9007 ("not ready"), as Meta answers.
- `GET /{version}/{media}?fields=...` and `GET /{version}/{ig-user-id}/media?fields=...&limit=&after=`
  (newest first, with cursor paging).

The access token comes as `Authorization: Bearer` or an `access_token` parameter; a wrong one is Graph
error 190 (HTTP 400, OAuthException). `graph_error(code, ...)` makes the next requests answer a Graph error
(4 is the app rate limit). Errors have Meta's shape {"error": {"message", "type", "code", "fbtrace_id"}}.
Counters: `containers_created`, `publishes`, `fetches`. `VideoHost` serves the video Meta fetches.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from tests.servers.harness import ProtocolServer, Request, Response

VERSION = "v21.0"
FETCH_FAILED = "Error: Media download has failed.: The media could not be fetched from the uri provided."
PROCESSING_FAILED = "Error: Media upload has failed with error code 2207026: unsupported video format."


@dataclass
class Container:
    """One media container and what became of it."""

    id: str
    video_url: str
    caption: str
    share_to_feed: str
    fetched: bool
    fetch_note: str
    polls: int = 0
    status_code: str = "IN_PROGRESS"
    media_id: str | None = None


@dataclass
class _InjectedError:
    code: int
    message: str
    http_status: int
    remaining: int
    extra: dict[str, Any] = field(default_factory=dict)


def graph_error(code: int, message: str, http_status: int = 400, **extra: Any) -> Response:
    """A Graph API error answer."""
    kind = "OAuthException" if code in (4, 17, 32, 190, 613) else "GraphMethodException"
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123", **extra}
    return Response.json({"error": error}, http_status)


class InstagramGraphServer(ProtocolServer):
    """The Graph API for one Instagram professional account."""

    def __init__(
        self, user_id: str = "17841400000000001", access_token: str = "EAAG-test-token-1234567890"
    ) -> None:
        self.user_id = user_id
        self.access_token = access_token
        self.processing_polls = 2
        self.fail_processing = False
        self.expire_containers = 0
        self.containers: dict[str, Container] = {}
        # Published media, oldest first: {id, caption, permalink, timestamp, media_type, media_product_type}.
        self.media: list[dict[str, Any]] = []
        self.containers_created = 0
        self.publishes = 0
        self.fetches = 0
        self._errors: list[_InjectedError] = []
        self._next = 18000000000000000
        self._lock = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """Every Graph path is /{version}/{node}[/{edge}]."""
        self.route("GET", f"/{VERSION}/", self._get)
        self.route("POST", f"/{VERSION}/", self._post)

    def graph_error(
        self, code: int, message: str, *, times: int = 1, http_status: int = 400, **extra: Any
    ) -> None:
        """Make the next `times` requests answer Graph error `code`."""
        with self._lock:
            self._errors.append(_InjectedError(code, message, http_status, times, extra))

    def add_media(self, caption: str, timestamp: str = "2026-01-01T00:00:00+0000") -> dict[str, Any]:
        """A Reel already on the account (posted by hand, say)."""
        media_id = self._new_id()
        media = {
            "id": media_id,
            "caption": caption,
            "permalink": f"https://www.instagram.com/reel/R{media_id[-6:]}/",
            "timestamp": timestamp,
            "media_type": "VIDEO",
            "media_product_type": "REELS",
        }
        self.media.append(media)
        return media

    # ---- helpers --------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        with self._lock:
            self._next += 1
            return str(self._next)

    def _params(self, request: Request) -> dict[str, str]:
        params = {key: values[-1] for key, values in request.query.items()}
        if request.body and "x-www-form-urlencoded" in request.headers.get("Content-Type", ""):
            params.update(
                {k: v[-1] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
            )
        return params

    def _problem(self, request: Request, params: dict[str, str]) -> Response | None:
        with self._lock:
            if self._errors:
                injected = self._errors[0]
                injected.remaining -= 1
                if injected.remaining <= 0:
                    self._errors.pop(0)
                return graph_error(injected.code, injected.message, injected.http_status, **injected.extra)
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else params.get("access_token", "")
        if not token:
            return graph_error(
                2500, "An active access token must be used to query information about the current user."
            )
        if token != self.access_token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return None

    def _missing(self, node: str) -> Response:
        return graph_error(
            100,
            f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due to"
            " missing permissions, or does not support this operation.",
            error_subcode=33,
        )

    def _fetch(self, url: str) -> tuple[bool, str]:
        """GET the video as Meta's crawler does; a video is an MP4 ("ftyp" at byte 4)."""
        self.fetches += 1
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = answer.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return False, f"{FETCH_FAILED} ({exc})"
        if body[4:8] != b"ftyp":
            return False, PROCESSING_FAILED
        return True, ""

    # ---- routes ---------------------------------------------------------------------------------------

    def _get(self, request: Request, fault: str | None) -> Response:
        params = self._params(request)
        if (problem := self._problem(request, params)) is not None:
            return problem
        node, _, edge = request.path[len(VERSION) + 2 :].partition("/")
        if node == self.user_id and edge == "media":
            return self._list(params)
        if edge:
            return self._missing(f"{node}/{edge}")
        if node in self.containers:
            return self._status(self.containers[node])
        media = next((m for m in self.media if m["id"] == node), None)
        if media is None:
            return self._missing(node)
        fields = params.get("fields", "id").split(",")
        return Response.json({key: media[key] for key in ["id", *fields] if key in media})

    def _status(self, container: Container) -> Response:
        with self._lock:
            if container.status_code == "IN_PROGRESS":
                container.polls += 1
                if container.polls > self.processing_polls:
                    failed = self.fail_processing or not container.fetched
                    container.status_code = "ERROR" if failed else "FINISHED"
            status = {
                "IN_PROGRESS": "In Progress",
                "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
                "PUBLISHED": "Published: Media has been successfully published.",
                "EXPIRED": "Expired: Media was not published within 24 hours.",
                "ERROR": container.fetch_note or PROCESSING_FAILED,
            }[container.status_code]
        return Response.json({"status_code": container.status_code, "status": status, "id": container.id})

    def _list(self, params: dict[str, str]) -> Response:
        fields = params.get("fields", "id").split(",")
        limit = int(params.get("limit", "25"))
        newest = list(reversed(self.media))
        start = int(params.get("after", "0") or 0)
        page = newest[start : start + limit]
        answer: dict[str, Any] = {
            "data": [{key: m[key] for key in ["id", *fields] if key in m} for m in page]
        }
        if page:
            answer["paging"] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
            if start + len(page) < len(newest):
                answer["paging"]["next"] = (
                    f"{self.url}/{VERSION}/{self.user_id}/media?after={start + len(page)}"
                )
        return Response.json(answer)

    def _post(self, request: Request, fault: str | None) -> Response:
        params = self._params(request)
        if (problem := self._problem(request, params)) is not None:
            return problem
        node, _, edge = request.path[len(VERSION) + 2 :].partition("/")
        if node != self.user_id:
            return self._missing(node)
        if edge == "media":
            return self._create(params)
        if edge == "media_publish":
            return self._publish(params)
        return self._missing(f"{node}/{edge}")

    def _create(self, params: dict[str, str]) -> Response:
        if params.get("media_type") != "REELS" or not params.get("video_url"):
            return graph_error(100, "The parameter video_url is required", error_subcode=2207052)
        if len(params.get("caption", "")) > 2200:
            return graph_error(100, "Caption is too long", error_subcode=2207010)
        fetched, note = self._fetch(params["video_url"])
        container = Container(
            self._new_id(),
            params["video_url"],
            params.get("caption", ""),
            params.get("share_to_feed", ""),
            fetched,
            note,
        )
        with self._lock:
            if self.expire_containers > 0:
                self.expire_containers -= 1
                container.status_code = "EXPIRED"
        self.containers[container.id] = container
        self.containers_created += 1
        return Response.json({"id": container.id})

    def _publish(self, params: dict[str, str]) -> Response:
        container = self.containers.get(params.get("creation_id", ""))
        if container is None:
            return self._missing(params.get("creation_id", ""))
        if container.status_code != "FINISHED":
            return graph_error(
                9007,
                "The media is not ready for publishing, please wait for a moment",
                error_subcode=2207027,
            )
        media = self.add_media(container.caption, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"))
        container.status_code = "PUBLISHED"
        container.media_id = media["id"]
        self.publishes += 1
        return Response.json({"id": media["id"]})


class VideoHost(ProtocolServer):
    """The public gallery, as far as Meta sees it: files served by path, every fetch recorded."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = dict(files or {})
        super().__init__()

    def register(self) -> None:
        """Serve `files` under /."""
        self.route("GET", "/", self._serve)

    def _serve(self, request: Request, fault: str | None) -> Response:
        body = self.files.get(request.path)
        if body is None:
            return Response(b"<html><body>404 Not Found</body></html>", "text/html", 404)
        return Response(body, "video/mp4")
