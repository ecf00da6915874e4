"""YouTube Data API v3 on localhost: resumable uploads, the listings `find` needs, thumbnails, Google OAuth.

The resumable upload protocol as YouTube documents it
(developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
- `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status` with the video resource as JSON
  and `X-Upload-Content-Length` / `X-Upload-Content-Type` → 200 with the session URI in `Location`;
- `PUT <session URI>` with `Content-Range: bytes FIRST-LAST/TOTAL` and the bytes → `308 Resume Incomplete`
  with `Range: bytes=0-LAST` while bytes are missing, then 200 with the video resource;
- `PUT <session URI>` with `Content-Range: bytes */TOTAL` and no body asks where the upload stands: 308 with
  `Range` (none when nothing arrived yet), or 200 with the video once it is complete;
- an unknown or expired session answers 404.

API calls (`/youtube/v3/videos`, `channels?mine=true`, `playlistItems`, and
`POST /upload/youtube/v3/thumbnails/set`) need `Authorization: Bearer <access token>`, else 401 as Google
answers it. Errors have Google's JSON shape
{"error": {"code", "message", "errors": [{"domain", "reason", "message"}], "status"}}.

OAuth 2.0 (Google's endpoints, form-encoded): `POST /token` with `grant_type=refresh_token` (a revoked or
unknown refresh token → 400 `invalid_grant`) or `grant_type=authorization_code` (with PKCE's code_verifier),
and `GET /o/oauth2/auth`, which plays the consent screen: it redirects straight to `redirect_uri` with a code.

Switches for tests: `drop_after_bytes = N` resets the connection of the upload chunk that would take its
session past N bytes, once the session holds N (Google keeps what it received, and so does this);
`expire_sessions()`, `revoke()`, `quota_exceeded`, `thumbnails_allowed`, `accept_tokens`, `deny_consent`.
`uploads` counts completed videos; `chunk_bytes` lists how many bytes each upload PUT brought.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import socket
import struct
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.servers.harness import ProtocolServer, Request, Response, _handler_for

VIDEOS = "/upload/youtube/v3/videos"
THUMBNAILS = "/upload/youtube/v3/thumbnails/set"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_STATUS_QUERY = re.compile(r"^bytes \*/(\d+|\*)$")
_PRIVACY = ("private", "unlisted", "public")
# The assignable video categories of videoCategories.list (regionCode=US).
CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29"}


@dataclass
class Session:
    """One resumable upload session."""

    resource: dict[str, Any]
    size: int
    content_type: str
    received: bytearray = field(default_factory=bytearray)
    video_id: str | None = None


def header_of(request: Request, name: str) -> str:
    """A request header by name, whatever its case (httplib2 sends them lower-cased)."""
    wanted = name.lower()
    return next((value for key, value in request.headers.items() if key.lower() == wanted), "")


def google_error(status: int, reason: str, message: str, domain: str = "youtube.api") -> Response:
    """An error in Google's JSON shape."""
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": names.get(status, "UNKNOWN"),
        }
    }
    return Response.json(body, status=status)


class YouTubeServer(ProtocolServer):
    """A YouTube channel with its uploads, behind Google's OAuth token endpoint."""

    def __init__(
        self,
        *,
        client_id: str = "client-123.apps.googleusercontent.com",
        client_secret: str = "GOCSPX-client-secret-value",
        refresh_token: str = "1//refresh-token-value",
        access_token: str | None = None,
        channel_id: str = "UCfakechannel0000000000",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.channel_id = channel_id
        # The refresh token a test writes into its token file; revoke() makes it useless.
        self.refresh_token = refresh_token
        self.uploads_playlist = "UU" + channel_id[2:]
        self.refresh_tokens: set[str] = {refresh_token}
        self.access_tokens: set[str] = {access_token} if access_token else set()
        self.videos: dict[str, dict[str, Any]] = {}
        # Newest first, as the uploads playlist lists them.
        self.upload_order: list[str] = []
        self.sessions: dict[str, Session] = {}
        self.thumbnails: dict[str, bytes] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.uploads = 0
        self.chunk_bytes: list[int] = []
        self.drop_after_bytes: int | None = None
        self.quota_exceeded = False
        self.thumbnails_allowed = True
        # False: the API refuses every access token (401), even fresh ones, as for a suspended account.
        self.accept_tokens = True
        # The consent screen's "Cancel": the browser comes back with error=access_denied.
        self.deny_consent = False
        self._ids = itertools.count(1)
        self._state = threading.Lock()
        super().__init__()

    # ---- switches -----------------------------------------------------------------------------------

    def revoke(self) -> None:
        """Revoke every token: refreshes answer invalid_grant and API calls 401."""
        with self._state:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_sessions(self) -> None:
        """Forget every upload session, as Google does after a week."""
        with self._state:
            self.sessions.clear()

    def add_video(self, snippet: dict[str, Any], status: dict[str, Any]) -> str:
        """Put a video on the channel as if it had been uploaded some other way."""
        with self._state:
            return self._create_video({"snippet": snippet, "status": status})

    # ---- routes -------------------------------------------------------------------------------------

    def register(self) -> None:
        """Google's OAuth endpoints and the parts of the YouTube Data API v3 reelforge uses."""
        self.route("POST", "/token", self._token)
        self.route("GET", "/o/oauth2/auth", self._consent)
        self.route("POST", VIDEOS, self._start_upload)
        self.route("PUT", VIDEOS, self._put_chunk)
        self.route("POST", THUMBNAILS, self._set_thumbnail)
        self.route("GET", "/youtube/v3/videos", self._list_videos)
        self.route("GET", "/youtube/v3/channels", self._list_channels)
        self.route("GET", "/youtube/v3/playlistItems", self._list_playlist_items)

    def _authorized(self, request: Request) -> bool:
        header = header_of(request, "Authorization")
        scheme, _, token = header.partition(" ")
        with self._state:
            return self.accept_tokens and scheme.lower() == "bearer" and token in self.access_tokens

    def _unauthorized(self) -> Response:
        response = google_error(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            domain="global",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        return response

    # ---- OAuth --------------------------------------------------------------------------------------

    def _client_credentials(self, request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = header_of(request, "Authorization")
        if header.lower().startswith("basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user, password
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self, request: Request, fault: str | None) -> Response:
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        client_id, client_secret = self._client_credentials(request, form)
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return Response.json({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        grant = form.get("grant_type")
        scope = form.get("scope", "")
        answer: dict[str, Any] = {"expires_in": 3599, "token_type": "Bearer"}
        with self._state:
            if grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return Response.json(
                        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
                        400,
                    )
            elif grant == "authorization_code":
                code = self.codes.pop(form.get("code", ""), None)
                if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                    return Response.json({"error": "invalid_grant", "error_description": "Bad Request"}, 400)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                if code["code_challenge"] and challenge.rstrip(b"=").decode() != code["code_challenge"]:
                    return Response.json(
                        {"error": "invalid_grant", "error_description": "Invalid code verifier."}, 400
                    )
                refresh = "1//" + secrets.token_urlsafe(24)
                self.refresh_tokens.add(refresh)
                answer["refresh_token"] = refresh
                scope = code["scope"]
            else:
                return Response.json({"error": "unsupported_grant_type"}, 400)
            access = "ya29." + secrets.token_urlsafe(32)
            self.access_tokens.add(access)
        answer["access_token"] = access
        if scope:
            answer["scope"] = scope
        return Response.json(answer)

    def _consent(self, request: Request, fault: str | None) -> Response:
        params = {key: values[-1] for key, values in request.query.items()}
        if params.get("client_id") != self.client_id or params.get("response_type") != "code":
            return Response.json({"error": "invalid_request"}, 400)
        if self.deny_consent:
            query = urlencode({"state": params.get("state", ""), "error": "access_denied"})
            return Response(b"", "text/html", 302, {"Location": f"{params['redirect_uri']}?{query}"})
        code = "4/" + secrets.token_urlsafe(16)
        with self._state:
            self.codes[code] = {
                "redirect_uri": params.get("redirect_uri", ""),
                "code_challenge": params.get("code_challenge", ""),
                "scope": params.get("scope", ""),
            }
        query = urlencode({"state": params.get("state", ""), "code": code, "scope": params.get("scope", "")})
        return Response(b"", "text/html", 302, {"Location": f"{params['redirect_uri']}?{query}"})

    # ---- uploads ------------------------------------------------------------------------------------

    def _start_upload(self, request: Request, fault: str | None) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        if request.query.get("uploadType") != ["resumable"]:
            return google_error(400, "invalidUploadType", "only resumable uploads are served here")
        if self.quota_exceeded:
            return google_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.',
                domain="youtube.quota",
            )
        parts = set((request.query.get("part") or [""])[0].split(","))
        resource = request.json() or {}
        if problem := _resource_problem(resource, parts):
            return google_error(400, *problem)
        try:
            size = int(header_of(request, "X-Upload-Content-Length"))
        except ValueError:
            return google_error(400, "badContent", "X-Upload-Content-Length is required")
        upload_id = secrets.token_urlsafe(24)
        with self._state:
            self.sessions[upload_id] = Session(
                resource, size, header_of(request, "X-Upload-Content-Type") or "video/*"
            )
        location = f"{self.url}{VIDEOS}?{urlencode({'uploadType': 'resumable', 'upload_id': upload_id})}"
        return Response(b"", "text/plain", 200, {"Location": location})

    def _put_chunk(self, request: Request, fault: str | None) -> Response:
        upload_id = (request.query.get("upload_id") or [""])[0]
        with self._state:
            session = self.sessions.get(upload_id)
            if session is None:
                return google_error(404, "notFound", "The upload session was not found or has expired.")
            content_range = header_of(request, "Content-Range")
            if _STATUS_QUERY.match(content_range) or not request.body:
                return self._where(session)
            match = _RANGE.match(content_range)
            if match is None:
                return google_error(400, "badContent", f"bad Content-Range {content_range!r}")
            first, last = int(match.group(1)), int(match.group(2))
            self.chunk_bytes.append(len(request.body))
            if first != len(session.received) or last - first + 1 != len(request.body):
                # Google keeps what it has and says so; the client continues from there.
                return self._where(session)
            session.received += request.body
            return self._where(session)

    def received(self, upload_id: str) -> int:
        """How many bytes of an upload session arrived so far (0 for an unknown session)."""
        with self._state:
            session = self.sessions.get(upload_id)
            return len(session.received) if session is not None else 0

    def keep_partial(self, upload_id: str, data: bytes) -> None:
        """The bytes of a chunk that arrived before its connection was cut: Google keeps them."""
        with self._state:
            session = self.sessions.get(upload_id)
            if session is not None:
                self.chunk_bytes.append(len(data))
                session.received += data

    def _where(self, session: Session) -> Response:
        """Where an upload stands (the caller holds the lock); completes it once every byte is in."""
        if session.video_id is None and len(session.received) >= session.size:
            session.video_id = self._create_video(session.resource)
            self.uploads += 1
        if session.video_id is not None:
            return Response.json(self.videos[session.video_id], 200)
        headers = {"Range": f"bytes=0-{len(session.received) - 1}"} if session.received else {}
        return Response(b"", "text/plain", 308, headers)

    def _create_video(self, resource: dict[str, Any]) -> str:
        video_id = f"vid{next(self._ids):08d}"
        snippet = dict(resource.get("snippet") or {})
        snippet.setdefault("categoryId", "22")
        snippet.update(
            {
                "publishedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "channelId": self.channel_id,
            }
        )
        status = {
            "uploadStatus": "uploaded",
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            **(resource.get("status") or {}),
        }
        status.setdefault("privacyStatus", "public")
        status["madeForKids"] = bool(status.get("selfDeclaredMadeForKids", False))
        self.videos[video_id] = {
            "kind": "youtube#video",
            "etag": secrets.token_hex(8),
            "id": video_id,
            "snippet": snippet,
            "status": status,
        }
        self.upload_order.insert(0, video_id)
        return video_id

    def _set_thumbnail(self, request: Request, fault: str | None) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        video_id = (request.query.get("videoId") or [""])[0]
        if video_id not in self.videos:
            return google_error(
                404, "videoNotFound", "The video that you are trying to update cannot be found."
            )
        if not self.thumbnails_allowed:
            return google_error(
                403,
                "forbidden",
                "The authenticated user doesn't have permissions to upload and set custom video thumbnails.",
            )
        with self._state:
            self.thumbnails[video_id] = request.body
        url = f"https://i.ytimg.com/vi/{video_id}/default.jpg"
        return Response.json(
            {"kind": "youtube#thumbnailSetResponse", "items": [{"default": {"url": url, "width": 120}}]}
        )

    # ---- listings -----------------------------------------------------------------------------------

    def _list_videos(self, request: Request, fault: str | None) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        ids = [part for part in (request.query.get("id") or [""])[0].split(",") if part]
        parts = (request.query.get("part") or [""])[0].split(",")
        items = []
        with self._state:
            for video_id in ids:
                if video_id in self.videos:
                    video = self.videos[video_id]
                    item = {key: video[key] for key in ("kind", "etag", "id")}
                    item.update({part: video[part] for part in parts if part in video})
                    items.append(json.loads(json.dumps(item)))
        return Response.json({"kind": "youtube#videoListResponse", "items": items})

    def _list_channels(self, request: Request, fault: str | None) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        if request.query.get("mine") != ["true"]:
            return google_error(400, "missingRequiredParameter", "only mine=true is served here")
        item = {
            "kind": "youtube#channel",
            "id": self.channel_id,
            "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": self.uploads_playlist}},
        }
        return Response.json({"kind": "youtube#channelListResponse", "items": [item]})

    def _list_playlist_items(self, request: Request, fault: str | None) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        if (request.query.get("playlistId") or [""])[0] != self.uploads_playlist:
            return google_error(
                404,
                "playlistNotFound",
                "The playlist identified with the request's playlistId parameter cannot be found.",
            )
        limit = min(50, int((request.query.get("maxResults") or ["5"])[0]))
        with self._state:
            items = [
                {
                    "kind": "youtube#playlistItem",
                    "contentDetails": {
                        "videoId": video_id,
                        "videoPublishedAt": self.videos[video_id]["snippet"]["publishedAt"],
                    },
                }
                for video_id in self.upload_order[:limit]
            ]
        return Response.json({"kind": "youtube#playlistItemListResponse", "items": items})

    # ---- a connection cut mid-chunk -----------------------------------------------------------------

    def start(self) -> YouTubeServer:
        """Serve like the harness, with PUTs that can be cut off after `drop_after_bytes` bytes."""
        base = _handler_for(self)
        server = self

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_PUT(self) -> None:
                limit = server.drop_after_bytes
                length = int(self.headers.get("Content-Length") or 0)
                upload_id = parse_qs(self.path.partition("?")[2]).get("upload_id", [""])[0]
                have = server.received(upload_id)
                if limit is None or not self.path.startswith(VIDEOS) or have + length <= limit:
                    base.do_PUT(self)
                    return
                server.drop_after_bytes = None
                server.keep_partial(upload_id, self.rfile.read(max(0, limit - have)))
                # A reset, not a clean close: the client must see the connection break (as when a
                # network drops), not an empty answer it would send the chunk again for.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self


def _resource_problem(resource: dict[str, Any], parts: set[str]) -> tuple[str, str] | None:
    """What YouTube would refuse in a video resource's snippet and status, as (reason, message)."""
    snippet = resource.get("snippet") or {}
    status = resource.get("status") or {}
    if "snippet" not in parts or "status" not in parts:
        return "unexpectedPart", f"part must name snippet and status, got {sorted(parts)}"
    title = snippet.get("title") or ""
    if not title.strip():
        return "invalidTitle", "The request metadata specifies an invalid or empty video title."
    if len(title) > 100 or "<" in title or ">" in title:
        return "invalidTitle", "The request metadata specifies an invalid video title."
    description = snippet.get("description") or ""
    if len(description.encode()) > 5000 or "<" in description or ">" in description:
        return "invalidDescription", "The request metadata specifies an invalid video description."
    tags = snippet.get("tags") or []
    if sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(0, len(tags) - 1) > 500:
        return "invalidTags", "The request metadata specifies invalid video keywords."
    if str(snippet.get("categoryId", "22")) not in CATEGORIES:
        return "invalidCategoryId", "The video snippet.categoryId property specifies an invalid category ID."
    if status.get("privacyStatus", "public") not in _PRIVACY:
        return "invalidVideoMetadata", "The request metadata is invalid."
    if status.get("publishAt") and status.get("privacyStatus") != "private":
        return "invalidPublishAt", "The request metadata specifies an invalid scheduled publishing time."
    return None
