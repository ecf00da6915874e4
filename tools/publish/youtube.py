"""The YouTube publisher: a resumable upload through the Data API v3 whose session survives a crash."""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaFileUpload

from state import Publication
from tools.errors import BadInput, ServiceUnavailable, first_line
from tools.publish.publisher import PublishItem, PublishRefused
from tools.publish.youtube_auth import SCOPES
from tools.secrets import redact

__all__ = ["YouTubePublisher", "key_tag", "key_line"]

logger = logging.getLogger(__name__)

PRIVACY = ("private", "unlisted", "public")
MAX_TITLE_CHARS = 100
MAX_DESCRIPTION_BYTES = 5000
MAX_TAGS_CHARS = 500
# videos.insert's maxSize in the discovery document: 256 GiB.
MAX_VIDEO_BYTES = 256 * 1024**3
MAX_SHORT_S = 180.0
# Resumable chunks must be multiples of 256 KiB (the last one aside).
CHUNK_UNIT = 256 * 1024
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
WATCH_URL = "https://www.youtube.com/watch?v="
TOKEN_URL = "https://oauth2.googleapis.com/token"

_REAUTH = "YouTube refused the saved token (expired or revoked); run 'reelforge auth youtube' again"
_QUOTA = "YouTube's daily upload quota is used up; try again tomorrow"
# Network failures: the socket's own, http.client's, httplib2's and google-auth's (a refresh that never
# reached the token endpoint).
_NETWORK = (ConnectionError, TimeoutError, http.client.HTTPException, httplib2.HttpLib2Error, TransportError)


def key_line(idempotency_key: str) -> str:
    """The description's last line, which lets `find` recognise a video posted under this key."""
    return f"reelforge-key: {idempotency_key}"


def key_tag(idempotency_key: str) -> str:
    """A short tag derived from the key: a second way to recognise the video, which viewers do not see."""
    return "rf" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:10]


class YouTubePublisher:
    """Publishes to the channel of a saved OAuth token; uploads are resumable and posted once per key.

    `credentials_file` is the token `reelforge auth youtube` wrote. `api_url` and `token_url` are where the
    Data API and Google's OAuth token endpoint live (tests point both at a local server). `session_store`
    is called with (key, session URI) as soon as an upload session opens, and with (key, None) once it is
    done or gone; `saved_session(key)` hands a stored URI back, so a crashed upload resumes where it
    stopped. `num_retries` is how often the client retries a 5xx/429 or a dropped chunk before giving up
    with ServiceUnavailable. `http` replaces the httplib2.Http underneath (it must not follow 308s, as
    googleapiclient.http.build_http() arranges).
    """

    target = "youtube"

    def __init__(
        self,
        credentials_file: Path,
        *,
        api_url: str = "https://www.googleapis.com",
        token_url: str = TOKEN_URL,
        privacy: str = "private",
        category_id: str = "22",
        made_for_kids: bool = False,
        synthetic_media: bool = True,
        publish_at: str | None = None,
        session_store: Callable[[str, str | None], None] | None = None,
        saved_session: Callable[[str], str | None] | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        num_retries: int = 3,
        http: Any = None,
    ) -> None:
        """Check the settings now; the token file is read when a call needs it."""
        if privacy not in PRIVACY:
            raise BadInput(f"YouTube privacy {privacy!r} is not one of {', '.join(PRIVACY)}; fix the setting")
        if chunk_bytes <= 0 or chunk_bytes % CHUNK_UNIT:
            raise BadInput(
                f"YouTube upload chunks of {chunk_bytes} bytes cannot be used; "
                f"use a multiple of 262144 (256 KiB)"
            )
        self.credentials_file = Path(credentials_file)
        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.privacy = privacy
        self.category_id = str(category_id)
        self.made_for_kids = made_for_kids
        self.synthetic_media = synthetic_media
        self.publish_at = _parse_publish_at(publish_at) if publish_at else None
        self.session_store = session_store
        self.saved_session = saved_session
        self.chunk_bytes = chunk_bytes
        self.num_retries = max(0, num_retries)
        self.http = http

    # ---- the Publisher protocol -----------------------------------------------------------------------

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """Refuse, before uploading, a video YouTube would not take or would not treat as meant."""
        if not Path(item.video).is_file():
            raise PublishRefused(
                f"the video to publish is missing at {item.video}; re-run the video production step"
            )
        size = Path(item.video).stat().st_size
        if size > MAX_VIDEO_BYTES:
            raise PublishRefused(
                f"the video is {size / 1024**3:.1f} GB; YouTube takes at most 256 GB: "
                f"render it at a lower resolution or bitrate"
            )
        vertical = item.width > 0 and item.height >= item.width
        if vertical and item.duration_s > MAX_SHORT_S:
            raise PublishRefused(
                f"the video is {_seconds(item.duration_s)} s; YouTube Shorts must be at most 180 s: "
                f"make it shorter with --duration 180, or publish it as 16:9"
            )
        if not _title(metadata):
            raise PublishRefused("the video has no title; YouTube needs one: give the script a title")
        if self.publish_at is not None and self.publish_at <= datetime.now(UTC):
            raise PublishRefused(
                f"the scheduled time {_iso_z(self.publish_at)} is in the past; "
                f"set YouTube's publish time in the future, or leave it out to publish now"
            )

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """Upload the video (resuming a saved session), set its thumbnail, and read it back."""
        self.check(item, metadata)
        body = self.video_resource(metadata, idempotency_key)
        with self._youtube() as youtube:
            video = self._upload(youtube, item.video, body, idempotency_key)
            video_id = str(video["id"])
            self._set_thumbnail(youtube, video_id, item.thumbnail)
            readback = self._execute(youtube.videos().list(id=video_id, part="status,snippet"))
            items = readback.get("items", [])
            if items:
                video = items[0]
            else:
                logger.warning("YouTube does not list video %s yet; recording it as uploaded", video_id)
        publication = self._publication(video, idempotency_key, _iso_z(datetime.now(UTC)))
        if item.video_sha256:
            publication["video_sha256"] = item.video_sha256
        return publication

    def find(self, idempotency_key: str) -> Publication | None:
        """The channel's recent upload made under `idempotency_key`, or None when there is none."""
        line, tag = key_line(idempotency_key), key_tag(idempotency_key)
        with self._youtube() as youtube:
            channels = self._execute(youtube.channels().list(part="contentDetails", mine=True))
            playlists = [
                channel.get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads")
                for channel in channels.get("items", [])
            ]
            uploads = next((playlist for playlist in playlists if playlist), None)
            if uploads is None:
                return None
            try:
                listing = self._execute(
                    youtube.playlistItems().list(part="contentDetails", playlistId=uploads, maxResults=50)
                )
            except HttpError as exc:
                # A channel that never uploaded can lack its uploads playlist (404): nothing to find.
                if exc.resp.status == 404:
                    return None
                raise
            ids = [entry["contentDetails"]["videoId"] for entry in listing.get("items", [])]
            if not ids:
                return None
            videos = self._execute(youtube.videos().list(id=",".join(ids), part="snippet,status"))
        for video in videos.get("items", []):
            snippet = video.get("snippet", {})
            lines = str(snippet.get("description", "")).splitlines()
            if line in (text.strip() for text in lines) or tag in snippet.get("tags", []):
                published = str(snippet.get("publishedAt") or _iso_z(datetime.now(UTC)))
                return self._publication(video, idempotency_key, published)
        return None

    # ---- the request ----------------------------------------------------------------------------------

    def video_resource(self, metadata: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """The video resource sent with the upload: snippet and status, within YouTube's limits."""
        line = key_line(idempotency_key)
        room = MAX_DESCRIPTION_BYTES - len(line.encode()) - 2
        description = _fit_bytes(_clean(str(metadata.get("description") or "")).strip(), room)
        status: dict[str, Any] = {
            # A scheduled video must be private until YouTube makes it public at publishAt.
            "privacyStatus": "private" if self.publish_at else self.privacy,
            # Always sent: an upload without it is held until the audience is set in YouTube Studio.
            "selfDeclaredMadeForKids": self.made_for_kids,
            # YouTube's altered or synthetic content disclosure.
            "containsSyntheticMedia": self.synthetic_media,
        }
        if self.publish_at is not None:
            status["publishAt"] = _iso_z(self.publish_at)
        return {
            "snippet": {
                "title": _fit_chars(_title(metadata), MAX_TITLE_CHARS),
                "description": f"{description}\n\n{line}" if description else line,
                "tags": _tags(metadata.get("tags"), key_tag(idempotency_key)),
                "categoryId": self.category_id,
            },
            "status": status,
        }

    @contextmanager
    def _youtube(self) -> Iterator[Any]:
        """A Data API client for one call of ours, with every failure turned into one line."""
        credentials = self._credentials()
        options = {"api_endpoint": self.api_url}
        try:
            if self.http is None:
                youtube = build(
                    "youtube",
                    "v3",
                    credentials=credentials,
                    static_discovery=True,
                    cache_discovery=False,
                    client_options=options,
                    requestBuilder=self._request_builder,
                )
            else:
                youtube = build(
                    "youtube",
                    "v3",
                    http=google_auth_httplib2.AuthorizedHttp(credentials, http=self.http),
                    static_discovery=True,
                    cache_discovery=False,
                    client_options=options,
                    requestBuilder=self._request_builder,
                )
        except Exception as exc:
            raise BadInput(
                f"the YouTube client could not be set up ({_detail(exc)}); check YOUTUBE_API_URL"
            ) from None
        try:
            yield youtube
        except HttpError as exc:
            raise _api_error(exc) from None
        except RefreshError as exc:
            if exc.retryable:
                raise ServiceUnavailable(
                    f"Google's token endpoint failed ({_detail(exc)}); try again later"
                ) from None
            raise BadInput(_REAUTH) from None
        except _NETWORK as exc:
            raise ServiceUnavailable(
                f"YouTube at {self.api_url} could not be reached ({_detail(exc)}); "
                f"check the network or YOUTUBE_API_URL"
            ) from None
        finally:
            youtube.close()

    def _credentials(self) -> Credentials:
        if not self.credentials_file.is_file():
            raise BadInput(f"no YouTube token at {self.credentials_file}; run 'reelforge auth youtube'")
        try:
            credentials: Credentials = Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
                str(self.credentials_file), SCOPES
            )
        except (ValueError, KeyError, OSError):
            raise BadInput(
                f"the YouTube token at {self.credentials_file} cannot be read; run 'reelforge auth youtube'"
            ) from None
        # google-auth ignores the token_uri written in the file on purpose (a planted file must not send
        # the refresh token and client secret elsewhere), so where refreshes go is a setting instead.
        refreshing: Credentials = credentials.with_token_uri(self.token_url)
        return refreshing

    def _request_builder(self, http: Any, postproc: Any, uri: str, **kwargs: Any) -> HttpRequest:
        """Send media uploads to api_url as well.

        api_endpoint replaces the API's base URL, but the client builds upload URLs from the discovery
        document's rootUrl and swaps in only the host: the scheme (and any path before /upload/) would
        still be Google's. Rebasing keeps every request on api_url, which is what tests point at.
        """
        return HttpRequest(http, postproc, self._rebase(uri), **kwargs)

    def _rebase(self, uri: str) -> str:
        if uri.startswith(self.api_url + "/"):
            return uri
        api, target = urlsplit(self.api_url), urlsplit(uri)
        return urlunsplit((api.scheme, api.netloc, api.path + target.path, target.query, target.fragment))

    def _execute(self, request: Any) -> dict[str, Any]:
        result: dict[str, Any] = request.execute(num_retries=self.num_retries)
        return result

    # ---- the upload -----------------------------------------------------------------------------------

    def _upload(self, youtube: Any, video: Path, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Run the resumable upload to the end and return the video resource YouTube made."""
        media = MediaFileUpload(str(video), mimetype="video/mp4", resumable=True, chunksize=self.chunk_bytes)
        request = youtube.videos().insert(part="snippet,status", body=body, media_body=media)
        saved = self.saved_session(key) if self.saved_session is not None else None
        session = _SessionRecord(key, self.session_store, saved)
        if saved:
            # An error state makes the next chunk first ask the session where it stands (PUT with
            # "Content-Range: bytes */SIZE"), then send only what YouTube does not have yet.
            request.resumable_uri = saved
            request._in_error_state = True
            logger.info("resuming the saved YouTube upload session for %s", key)
        # The session is recorded the moment YouTube opens it, before the first byte of video is sent.
        http = _SessionWatch(request.http, session.record)
        restarted = False
        failures = 0
        response: dict[str, Any] | None = None
        try:
            while response is None:
                try:
                    _, response = request.next_chunk(http=http, num_retries=self.num_retries)
                except HttpError as exc:
                    if exc.resp.status in (404, 410) and request.resumable_uri and not restarted:
                        # The session expired (Google keeps them about a week): start a new one.
                        logger.info("the saved YouTube upload session expired; starting the upload anew")
                        restarted = True
                        request.resumable_uri = None
                        request.resumable_progress = 0
                        request._in_error_state = False
                        session.record(None)
                        continue
                    raise
                except _NETWORK:
                    # The next try first asks the session where it stands. After a few, the graph's retry
                    # takes over, and it resumes the recorded session too.
                    failures += 1
                    if request.resumable_uri is None or failures > self.num_retries:
                        raise
                    time.sleep(min(8.0, 0.5 * 2 ** (failures - 1)))
                # A 308 may name a new session URI; the caller keeps whichever is current.
                session.record(request.resumable_uri)
                if response is None:
                    logger.debug(
                        "YouTube upload of %s: %d bytes sent", video.name, request.resumable_progress
                    )
        finally:
            media.stream().close()
        session.record(None)
        return response

    def _set_thumbnail(self, youtube: Any, video_id: str, thumbnail: Path) -> None:
        """Set the custom thumbnail; a failure leaves the published video as it is, with a warning."""
        if not Path(thumbnail).is_file():
            logger.warning("no thumbnail at %s; YouTube will pick a frame of video %s", thumbnail, video_id)
            return
        mimetype = "image/png" if Path(thumbnail).suffix.lower() == ".png" else "image/jpeg"
        media = MediaFileUpload(str(thumbnail), mimetype=mimetype, resumable=False)
        try:
            youtube.thumbnails().set(videoId=video_id, media_body=media).execute(num_retries=self.num_retries)
        except HttpError as exc:
            reason, message = _error_reason(exc)
            fix = (
                "verify the channel (youtube.com/verify) to allow custom thumbnails"
                if exc.resp.status == 403
                else "set it in YouTube Studio"
            )
            logger.warning(
                "YouTube did not take the thumbnail of video %s (%s %s: %s); %s",
                video_id,
                exc.resp.status,
                reason,
                message,
                fix,
            )
        except _NETWORK as exc:
            logger.warning(
                "the thumbnail of video %s could not be sent (%s); set it in YouTube Studio",
                video_id,
                _detail(exc),
            )
        finally:
            media.stream().close()

    def _publication(self, video: dict[str, Any], key: str, published_at: str) -> Publication:
        status = video.get("status", {})
        publication: Publication = {
            "target": self.target,
            "id": str(video["id"]),
            "url": WATCH_URL + str(video["id"]),
            "published_at": published_at,
            "key": key,
            "status": _status(status),
        }
        if publication["status"] == "failed":
            why = status.get("rejectionReason") or status.get("failureReason") or "no reason given"
            publication["error"] = f"YouTube {status.get('uploadStatus')} the video ({why})"
        return publication


# ---- helpers ------------------------------------------------------------------------------------------


class _SessionRecord:
    """The upload session URI as the caller keeps it, handed over whenever it changes."""

    def __init__(self, key: str, store: Callable[[str, str | None], None] | None, uri: str | None) -> None:
        self.key, self.store, self.uri = key, store, uri

    def record(self, uri: str | None) -> None:
        if uri != self.uri and self.store is not None:
            self.store(self.key, uri)
        self.uri = uri


class _SessionWatch:
    """Passes requests on to an httplib2-like object, and records a session URI the moment one is opened."""

    def __init__(self, http: Any, on_session: Callable[[str], None]) -> None:
        self.http, self.on_session = http, on_session

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> tuple[Any, bytes]:
        resp, content = self.http.request(uri, method, *args, **kwargs)
        if method == "POST" and resp.status == 200 and "location" in resp:
            self.on_session(resp["location"])
        return resp, content


def _api_error(exc: HttpError) -> Exception:
    """One line for an API error: BadInput when retrying cannot help, ServiceUnavailable when it can."""
    code = int(exc.resp.status)
    reason, message = _error_reason(exc)
    if code == 401:
        return BadInput(_REAUTH)
    if code == 403 and reason in ("quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"):
        return BadInput(_QUOTA)
    if (
        code == 429
        or code >= 500
        or (code == 403 and reason in ("rateLimitExceeded", "userRateLimitExceeded"))
    ):
        return ServiceUnavailable(f"YouTube answered {code} {reason or ''}".rstrip() + "; try again later")
    if code == 403:
        return BadInput(
            f"YouTube refused the request (403 {reason}: {message}); check the channel, or run "
            f"'reelforge auth youtube' again to grant upload access"
        )
    if code == 400:
        return BadInput(
            f"YouTube rejected the video's details (400 {reason}: {message}); fix them and publish again"
        )
    if code < 300:
        # A resumable session YouTube did not open (no Location): a glitch worth another try.
        return ServiceUnavailable(f"YouTube did not open an upload session (HTTP {code}); try again later")
    return BadInput(f"YouTube answered {code} {reason}: {message}; check YOUTUBE_API_URL and the channel")


def _error_reason(exc: HttpError) -> tuple[str, str]:
    """The first error's reason and the message of Google's JSON error, redacted and on one line."""
    reason, message = "", ""
    try:
        error = json.loads(exc.content.decode("utf-8", "replace")).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict):
        details = error.get("errors") or [{}]
        first = details[0] if isinstance(details, list) and isinstance(details[0], dict) else {}
        reason = str(first.get("reason") or error.get("status") or "")
        message = str(error.get("message") or "")
    elif isinstance(error, str):
        reason = error
    message = " ".join(message.split())[:300]
    return redact(reason), redact(message or str(exc.resp.reason or ""))


def _status(status: dict[str, Any]) -> str:
    """The Publication status of a video: scheduled, published, unlisted, private, or failed."""
    if status.get("uploadStatus") in ("failed", "rejected", "deleted"):
        return "failed"
    privacy = status.get("privacyStatus", "private")
    if status.get("publishAt") and privacy == "private":
        return "scheduled"
    return "published" if privacy == "public" else str(privacy)


def _parse_publish_at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"YouTube publish time {value!r} is not an ISO 8601 time; write it like 2026-11-22T18:00:00Z"
        ) from None
    # A time without a zone is taken as UTC, the zone YouTube's API speaks.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(value: float) -> str:
    return f"{round(value, 1):g}"


def _clean(text: str) -> str:
    """YouTube refuses '<' and '>' in titles and descriptions; the look-alike angle quotes keep the sense."""
    return text.replace("<", "‹").replace(">", "›")


def _title(metadata: dict[str, Any]) -> str:
    return " ".join(_clean(str(metadata.get("title") or "")).split())


def _fit_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary, with an ellipsis when cut."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: max(0, limit - len("…".encode()))].decode("utf-8", "ignore")
    return cut.rstrip() + "…"


def _tags(value: object, key_tag: str) -> list[str]:
    """The key's tag first, then the metadata's tags while they fit YouTube's 500 characters.

    YouTube counts a comma between tags and quotes around a tag with a space in it.
    """
    if isinstance(value, str):
        value = value.split(",")
    tags, seen = [key_tag], {key_tag.lower()}
    used = len(key_tag)
    for raw in value if isinstance(value, list | tuple) else []:
        tag = " ".join(str(raw).replace("<", "").replace(">", "").replace(",", " ").split()).lstrip("#")
        if not tag or tag.lower() in seen:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + 1
        if used + cost > MAX_TAGS_CHARS:
            continue
        tags.append(tag)
        seen.add(tag.lower())
        used += cost
    return tags


def _detail(exc: BaseException) -> str:
    return redact(first_line(exc))
