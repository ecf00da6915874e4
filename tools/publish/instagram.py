"""The Instagram Reels publisher: Meta's Content Publishing API fetches the video from its public URL.

The flow (Graph API, POST /{ig-user-id}/media with media_type=REELS): create a container from
`item.public_url`, poll the container until Meta has fetched and processed the video (status_code
FINISHED), publish it (POST /{ig-user-id}/media_publish), then read the media back for its permalink.

Reconciling a resumed run takes two handles, because neither is enough alone:

- The container id, kept through the `container_store` / `saved_container` callbacks (a small file in the
  run's folder, say). A resumed publish reuses a container that is still processing or ready instead of
  making Meta fetch the video again, and learns from status_code PUBLISHED that the post was made.
- A marker at the end of the caption, "· rf" and 10 hex digits of the idempotency key's SHA-256. A
  container never says which media it became, and the answer of media_publish is lost when a run is killed
  while it is on the way; the marker is how `find` recognises the post among the account's latest media,
  with or without a container store. It is short, has no "#", and so never shows up as a hashtag.

The access token travels in the Authorization header (the Graph API takes "Bearer"), never in a URL, so no
error or log line can carry it.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from state import Publication
from tools.errors import BadInput, ServiceUnavailable
from tools.publish.limits import check_limits, measured
from tools.publish.publisher import PublishItem, PublishRefused
from tools.secrets import MASK, redact

__all__ = ["MAX_CAPTION_CHARS", "MAX_HASHTAGS", "InstagramPublisher", "caption", "caption_marker"]

# Meta, IG User Media reference: a caption is at most 2,200 characters and 30 hashtags.
MAX_CAPTION_CHARS = 2200
MAX_HASHTAGS = 30
# Graph API error codes that mean "later": API too many calls (4), user request limit (17), Page request
# limit (32), a call rate limit (613), Instagram's business use case limit (80002), and unknown or
# temporary failures (1, 2). Code 9007 is "the media is not ready to publish yet".
_TRANSIENT_CODES = {1, 2, 4, 17, 32, 613, 80002, 9007}
_TOKEN_CODE = 190
_PERMISSION_CODES = {10, 200}
# The latest media searched for a caption's marker: a post made by this run is among the newest.
_MEDIA_PAGES = 3
_MEDIA_PAGE_SIZE = 50
_HASHTAG = re.compile(r"#(\w+)")
_MARKER = re.compile(r"\brf[0-9a-f]{10}\b")


def caption_marker(idempotency_key: str) -> str:
    """The marker a caption ends with: how `find` recognises the post made under this key."""
    return "rf" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:10]


def caption(metadata: dict[str, Any], idempotency_key: str) -> str:
    """The Reel's caption: title, description, hashtags from the tags, then the marker, within Meta's limits.

    Hashtags the title and description already carry count toward the 30; beyond that "#" is dropped.
    A description too long for 2,200 characters is shortened, never the marker.
    """
    title = " ".join(str(metadata.get("title") or "").split())
    description = str(metadata.get("description") or "").strip()
    budget = [MAX_HASHTAGS]

    def keep_hashtag(match: re.Match[str]) -> str:
        if budget[0] > 0:
            budget[0] -= 1
            return match.group(0)
        return match.group(1)

    title = _HASHTAG.sub(keep_hashtag, title)
    description = _HASHTAG.sub(keep_hashtag, description)
    present = {tag.lower() for tag in _HASHTAG.findall(f"{title} {description}")}
    hashtags: list[str] = []
    for tag in _tags(metadata.get("tags")):
        if budget[0] <= 0:
            break
        if tag.lower() not in present:
            present.add(tag.lower())
            hashtags.append(f"#{tag}")
            budget[0] -= 1
    tail = [part for part in (" ".join(hashtags), f"· {caption_marker(idempotency_key)}") if part]
    fixed = len("\n\n".join(tail)) + 2
    title = _shorten(title, MAX_CAPTION_CHARS - fixed - 2)
    room = MAX_CAPTION_CHARS - fixed - (len(title) + 2 if title else 0)
    description = _shorten(description, room)
    return "\n\n".join(part for part in (title, description, *tail) if part)


class InstagramPublisher:
    """Publish videos as Instagram Reels through the Graph API's Content Publishing flow."""

    target = "instagram"

    def __init__(
        self,
        user_id: str,
        access_token: str,
        *,
        graph_url: str = "https://graph.facebook.com/v21.0",
        http: httpx.Client | None = None,
        poll_s: float = 5,
        timeout_s: float = 300,
        share_to_feed: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        container_store: Callable[[str, str], None] | None = None,
        saved_container: Callable[[str], str | None] | None = None,
        request_timeout_s: float = 60,
    ) -> None:
        """`user_id` is INSTAGRAM_USER_ID; `timeout_s` bounds the wait for Meta to process the video."""
        if not user_id or not access_token:
            raise BadInput("Instagram needs INSTAGRAM_USER_ID and INSTAGRAM_ACCESS_TOKEN; set both")
        if not graph_url.startswith(("http://", "https://")):
            raise BadInput(
                "INSTAGRAM_GRAPH_URL is not an http(s) address; leave it unset for Meta's Graph API"
            )
        self.user_id = user_id
        self.graph_url = graph_url.rstrip("/")
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.share_to_feed = share_to_feed
        self._sleep = sleep
        self._store = container_store
        self._saved = saved_container
        self._token = access_token
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._http = http or httpx.Client(timeout=request_timeout_s)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    # ---- the Publisher protocol ------------------------------------------------------------------------

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """Refuse what the Reels API refuses (length, size, aspect) and a video Meta cannot fetch."""
        if not item.public_url:
            raise PublishRefused(
                "Instagram fetches the video from a public URL; set REELFORGE_GALLERY_URL to the gallery's"
                " public https address"
            )
        check_limits("instagram_reels", measured(item, metadata))

    def find(self, idempotency_key: str) -> Publication | None:
        """The Reel posted under `idempotency_key`, or None.

        With a container store, only a saved container whose status is PUBLISHED can have become a post
        (a container is saved before it is published); without one, the account's latest media are searched
        for the caption's marker.
        """
        if self._saved is not None:
            container = self._saved(idempotency_key)
            if not container:
                return None
            code = self._saved_status(container)
            if code == "PUBLISHED":
                return self._published_before(container, idempotency_key)
            if code is not None:
                return None
        media = self._media_with_marker(caption_marker(idempotency_key))
        return None if media is None else self._publication(media, idempotency_key)

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """Create (or reuse) the container, wait until Meta has processed the video, publish, read back."""
        self.check(item, metadata)
        earlier = self._reusable_container(idempotency_key)
        if isinstance(earlier, dict):
            return earlier
        container = earlier
        for _ in range(2):
            if container is None:
                container = self._create_container(item, metadata, idempotency_key)
            state = self._wait(container)
            if state == "PUBLISHED":
                return self._published_before(container, idempotency_key)
            if state == "FINISHED":
                break
            # EXPIRED: Meta dropped the container (24 hours unpublished); one fresh one is worth a try.
            container = None
        else:
            raise ServiceUnavailable("Instagram let two containers expire before publishing; try again later")
        answer = self._graph(
            "POST",
            f"/{self.user_id}/media_publish",
            what="publish the Reel",
            data={"creation_id": container},
        )
        media_id = str(answer.get("id") or "")
        if not media_id:
            raise ServiceUnavailable("Instagram answered media_publish without a media id; try again later")
        media = self._graph(
            "GET",
            f"/{media_id}",
            what="read the Reel back",
            params={"fields": "id,permalink,timestamp,media_type"},
        )
        return self._publication({"id": media_id, **media}, idempotency_key)

    # ---- the flow -------------------------------------------------------------------------------------

    def _reusable_container(self, key: str) -> str | Publication | None:
        """What an earlier attempt left: its post, its container if still worth waiting for, or None."""
        if self._saved is None or not (container := self._saved(key)):
            return None
        code = self._saved_status(container)
        if code == "PUBLISHED":
            return self._published_before(container, key)
        if code is None:
            # The saved container is gone; the account's media say whether it became a post.
            media = self._media_with_marker(caption_marker(key))
            return None if media is None else self._publication(media, key)
        # ERROR is not reused: the cause (an unreachable gallery) may be fixed now, so Meta fetches again.
        return container if code in ("IN_PROGRESS", "FINISHED") else None

    def _create_container(self, item: PublishItem, metadata: dict[str, Any], key: str) -> str:
        answer = self._graph(
            "POST",
            f"/{self.user_id}/media",
            what="create the Reel's container",
            data={
                "media_type": "REELS",
                "video_url": str(item.public_url),
                "caption": caption(metadata, key),
                "share_to_feed": "true" if self.share_to_feed else "false",
            },
        )
        container = str(answer.get("id") or "")
        if not container:
            raise ServiceUnavailable("Instagram answered without a container id; try again later")
        if self._store is not None:
            self._store(key, container)
        return container

    def _wait(self, container: str) -> str:
        """Poll the container until FINISHED, PUBLISHED or EXPIRED; refuse on ERROR; stop after timeout_s."""
        polls = max(1, math.ceil(self.timeout_s / self.poll_s)) if self.poll_s > 0 else 1
        for attempt in range(polls + 1):
            code, status = self._status(container)
            if code in ("FINISHED", "PUBLISHED", "EXPIRED"):
                return code
            if code == "ERROR":
                # Meta's text often starts with "Error:" itself.
                status = re.sub(r"(?i)^error:\s*", "", status)
                raise PublishRefused(
                    f"Instagram could not process the video (ERROR: {status or 'no reason given'});"
                    " check that REELFORGE_GALLERY_URL serves the video publicly over HTTPS"
                )
            if attempt < polls:
                self._sleep(self.poll_s)
        raise ServiceUnavailable(
            f"Instagram was still processing the video after {self.timeout_s:g} s; try again later"
            " (the next attempt waits for the same container)"
        )

    def _saved_status(self, container: str) -> str | None:
        """A saved container's status_code, or None when Meta no longer knows it (Graph error 100)."""
        try:
            return self._status(container)[0]
        except PublishRefused:
            return None

    def _status(self, container: str) -> tuple[str, str]:
        answer = self._graph(
            "GET", f"/{container}", what="check the Reel's container", params={"fields": "status_code,status"}
        )
        return str(answer.get("status_code") or "IN_PROGRESS"), self._clean(str(answer.get("status") or ""))

    def _published_before(self, container: str, key: str) -> Publication:
        """The Reel an earlier attempt published from `container`, found by its marker."""
        media = self._media_with_marker(caption_marker(key))
        if media is None:
            # Meta lists a new Reel a little after publishing it; the next attempt looks again.
            raise ServiceUnavailable(
                f"Instagram says container {container} was published, but no recent Reel carries the marker"
                f" {caption_marker(key)} yet; try again later"
            )
        return self._publication(media, key)

    def _media_with_marker(self, marker: str) -> dict[str, Any] | None:
        """The newest of the account's latest media whose caption carries `marker`."""
        params = {"fields": "id,caption,permalink,timestamp,media_type", "limit": str(_MEDIA_PAGE_SIZE)}
        for _ in range(_MEDIA_PAGES):
            page = self._graph(
                "GET", f"/{self.user_id}/media", what="list the account's media", params=params
            )
            for media in page.get("data") or []:
                if isinstance(media, dict) and marker in _MARKER.findall(str(media.get("caption") or "")):
                    return media
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after") if isinstance(paging, dict) else None
            if not after or not paging.get("next"):
                return None
            params = {**params, "after": str(after)}
        return None

    def _publication(self, media: dict[str, Any], key: str) -> Publication:
        media_id = str(media["id"])
        return {
            "target": self.target,
            "id": media_id,
            "url": str(media.get("permalink") or f"https://www.instagram.com/reel/{media_id}/"),
            "published_at": _timestamp(media.get("timestamp")),
            "status": "published",
            "key": key,
        }

    # ---- the Graph API ----------------------------------------------------------------------------------

    def _graph(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Graph API call's JSON object; Graph errors become one-line errors that say what to do."""
        try:
            response = self._http.request(
                method, self.graph_url + path, params=params, data=data, headers=self._headers
            )
        except httpx.TimeoutException:
            raise ServiceUnavailable(f"Instagram did not answer in time to {what}; try again later") from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"Instagram's Graph API cannot be reached to {what} ({self._clean(type(exc).__name__)});"
                " check INSTAGRAM_GRAPH_URL and the network"
            ) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if response.status_code == 429 or response.status_code >= 500:
                raise ServiceUnavailable(
                    f"Instagram answered {response.status_code} to {what}; try again later"
                )
            raise BadInput(
                f"{self.graph_url} did not answer like the Graph API ({response.status_code});"
                " check INSTAGRAM_GRAPH_URL"
            )
        error = answer.get("error")
        if isinstance(error, dict):
            self._raise(error, response.status_code, what)
        if response.status_code == 429 or response.status_code >= 500:
            raise ServiceUnavailable(f"Instagram answered {response.status_code} to {what}; try again later")
        if response.status_code >= 400:
            raise PublishRefused(
                f"Instagram refused to {what} ({response.status_code}); check INSTAGRAM_USER_ID"
            )
        return answer

    def _raise(self, error: dict[str, Any], http_status: int, what: str) -> None:
        code = error.get("code")
        message = self._clean(" ".join(str(error.get("message") or "no message").split()))[:300]
        if code == _TOKEN_CODE:
            raise BadInput(
                f"Instagram refused INSTAGRAM_ACCESS_TOKEN (code 190: {message}); make a new long-lived token"
                " with instagram_content_publish and set INSTAGRAM_ACCESS_TOKEN"
            )
        if code in _TRANSIENT_CODES or error.get("is_transient") is True or http_status >= 500:
            raise ServiceUnavailable(
                f"Instagram is busy or rate-limiting (code {code}: {message}); try again later"
            )
        if code in _PERMISSION_CODES:
            raise BadInput(
                f"Instagram would not let the token {what} (code {code}: {message});"
                " give INSTAGRAM_ACCESS_TOKEN the instagram_content_publish permission"
            )
        raise PublishRefused(
            f"Instagram refused to {what} (code {code}: {message}); check INSTAGRAM_USER_ID and the video"
        )

    def _clean(self, text: str) -> str:
        return redact(text).replace(self._token, MASK)


def _tags(value: object) -> list[str]:
    """Tags as hashtag words: letters, digits and underscores only, without the "#"."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    words = ("".join(re.findall(r"\w+", str(tag))) for tag in value)
    return [word for word in words if word]


def _shorten(text: str, room: int) -> str:
    """`text` cut to `room` characters at a word, with an ellipsis when anything was cut."""
    if len(text) <= room:
        return text
    if room <= 1:
        return ""
    cut = text[: room - 1]
    if " " in cut[room // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def _timestamp(value: object) -> str:
    """Graph's "2026-01-02T03:04:05+0000" as ISO 8601 in UTC with a Z; now when it is missing."""
    moment = None
    if isinstance(value, str):
        for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")
