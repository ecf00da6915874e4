"""The WordPress publisher: upload the video and its poster, then a post that embeds it and holds the script.

It speaks the core REST API (`/wp-json/wp/v2`) with an application password (Users → Profile → Application
Passwords) over HTTP Basic auth. Everything it makes is named after the idempotency key, so a resumed run
finds it instead of making it again: the post by its slug ("reelforge-" and 16 hex digits of the key's
SHA-256), the video and poster by their media slugs (the post's slug plus "-video" and "-poster"). A kill
between uploading the video and creating the post therefore never uploads the video twice.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from state import Publication
from tools.errors import BadInput, ServiceUnavailable
from tools.publish.limits import LIMITS, check_limits, measured
from tools.publish.publisher import PublishItem, PublishRefused
from tools.secrets import MASK, redact

__all__ = ["STATUSES", "WordPressPublisher", "post_html", "post_slug"]

STATUSES = ("draft", "publish", "private", "pending", "future")
# A post's status as a Publication says it. "pending" (waiting for an editor's review) is not public yet,
# like a draft; the Publication's own "pending" means an intent that has not been posted.
_PUBLICATION_STATUS = {
    "publish": "published",
    "future": "scheduled",
    "draft": "draft",
    "pending": "draft",
    "private": "private",
}
_CHUNK = 1024 * 1024
_SNIPPET = 200


def post_slug(idempotency_key: str) -> str:
    """The post's slug for one idempotency key: the handle a resumed run looks the post up by."""
    return "reelforge-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class WordPressPublisher:
    """Publish videos as WordPress posts through the REST API and an application password."""

    target = "wordpress"

    def __init__(
        self,
        url: str,
        user: str,
        app_password: str,
        *,
        status: str = "draft",
        http: httpx.Client | None = None,
        timeout_s: float = 60,
        max_upload_bytes: int | None = None,
        publish_at: str | None = None,
    ) -> None:
        """`url` is the site's address (WORDPRESS_URL); `status` is what new posts become.

        `publish_at` (ISO 8601 with a zone; metadata["publish_at"] wins) schedules a "publish" or "future"
        post for that time.
        """
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInput("WORDPRESS_URL is not an http(s) address; set it to the site's address")
        if not user or not app_password:
            raise BadInput("WordPress needs WORDPRESS_USER and WORDPRESS_APP_PASSWORD; set both")
        if status not in STATUSES:
            raise BadInput(f"WordPress post status {status!r} is unknown; use one of {', '.join(STATUSES)}")
        # Never a user:password@ part in what messages show.
        self.url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}".rstrip("/")
        self.status = status
        self.publish_at = publish_at
        self.timeout_s = timeout_s
        default_max = LIMITS["wordpress"].max_bytes
        self.max_upload_bytes = max_upload_bytes if max_upload_bytes is not None else default_max
        self._api = f"{self.url}/wp-json/wp/v2"
        self._password = app_password
        self._auth = httpx.BasicAuth(user, app_password)
        self._http = http or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    # ---- the Publisher protocol ------------------------------------------------------------------------

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """Refuse a video bigger than the site takes, or a scheduled post without a time, before uploading."""
        if self.status == "future" and self._publish_at(metadata) is None:
            raise PublishRefused(
                "WordPress status 'future' needs a publish time; give the job one (publish_at, e.g."
                " 2026-12-24T09:00:00Z) or post with status 'publish'"
            )
        limits = LIMITS["wordpress"]
        if self.max_upload_bytes != limits.max_bytes:
            limits = replace(limits, max_bytes=self.max_upload_bytes)
        check_limits(self.target, measured(item, metadata), limits)

    def find(self, idempotency_key: str) -> Publication | None:
        """The post made under `idempotency_key`, whatever its status, or None."""
        post = self._post_by_slug(post_slug(idempotency_key))
        return None if post is None else self._publication(post, idempotency_key)

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """Upload the video and poster unless there, create the post unless there, and read it back."""
        self.check(item, metadata)
        slug = post_slug(idempotency_key)
        existing = self._post_by_slug(slug)
        if existing is not None:
            return self._publication(existing, idempotency_key)
        video = self._media(f"{slug}-video", item.video, ".mp4", "video/mp4")
        poster_suffix = item.thumbnail.suffix.lower() or ".jpg"
        poster = self._media(f"{slug}-poster", item.thumbnail, poster_suffix, _image_type(poster_suffix))
        body: dict[str, Any] = {
            "title": str(metadata.get("title") or item.run_id),
            "content": post_html(
                video_url=str(video["source_url"]),
                video_id=int(video["id"]),
                poster_url=str(poster.get("source_url") or "") or None,
                script_markdown=item.script_markdown,
                metadata=metadata,
                page_url=item.page_url,
            ),
            "excerpt": str(metadata.get("description") or ""),
            "status": self.status,
            "slug": slug,
            "featured_media": int(poster["id"]),
        }
        publish_at = self._publish_at(metadata)
        if publish_at is not None and self.status in ("publish", "future"):
            # WordPress schedules a post whose date lies ahead; one whose date has passed it publishes.
            body["date_gmt"] = publish_at
            body["status"] = "future"
        created = self._call("POST", "/posts", what="create the post", json=body)
        post = self._call("GET", f"/posts/{int(created['id'])}", what="read the post back", params=_EDIT)
        return self._publication(post or created, idempotency_key)

    def _publish_at(self, metadata: dict[str, Any]) -> str | None:
        return _gmt(metadata.get("publish_at") or self.publish_at)

    # ---- REST calls -------------------------------------------------------------------------------------

    def _post_by_slug(self, slug: str) -> dict[str, Any] | None:
        """The post with exactly this slug in any status (drafts and scheduled posts included), or None."""
        posts = self._call(
            "GET", "/posts", what="look up the post", params={"slug": slug, "status": "any", **_EDIT}
        )
        return next((p for p in posts or [] if isinstance(p, dict) and p.get("slug") == slug), None)

    def _media(self, media_slug: str, path: Path, suffix: str, content_type: str) -> dict[str, Any]:
        """The media item with this slug: found from an earlier attempt, else uploaded now."""
        found = self._call("GET", "/media", what="look up the media", params={"slug": media_slug})
        for media in found or []:
            if isinstance(media, dict) and media.get("slug") == media_slug and media.get("source_url"):
                return media
        try:
            size = path.stat().st_size
        except OSError:
            raise PublishRefused(
                f"the file to upload is missing at {path}; re-run the video production step"
            ) from None
        uploaded = self._call(
            "POST",
            "/media",
            what=f"upload {path.name}",
            content=_chunks(path),
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{media_slug}{suffix}"',
                "Content-Length": str(size),
            },
        )
        if not isinstance(uploaded, dict) or "id" not in uploaded or not uploaded.get("source_url"):
            raise ServiceUnavailable(f"WordPress at {self.url} answered an upload without its id and URL")
        return uploaded

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """One REST call's JSON answer; None for an item that is not there (404 with a WordPress error)."""
        try:
            response = self._http.request(method, self._api + path, auth=self._auth, **kwargs)
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"WordPress at {self.url} did not answer within {self.timeout_s:g} s; try again later"
            ) from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"WordPress at {self.url} cannot be reached ({self._clean(type(exc).__name__)});"
                " check WORDPRESS_URL"
            ) from None
        status = response.status_code
        error = _wp_error(response)
        if status in (401, 403):
            hint = "" if self.url.startswith("https:") else "; WordPress takes them only over https"
            if status == 403 and error.get("code") not in (
                None,
                "",
                "incorrect_password",
                "invalid_username",
            ):
                raise BadInput(
                    f"WordPress at {self.url} does not let WORDPRESS_USER {what}"
                    f" (403 {self._clean(error['code'])}); give the user the Author role or higher"
                )
            raise BadInput(
                f"WordPress at {self.url} refused the application password ({status}); check WORDPRESS_USER"
                f" and WORDPRESS_APP_PASSWORD (Users → Profile → Application Passwords){hint}"
            )
        if status == 404 and error.get("code") not in (None, "", "rest_no_route"):
            return None
        if status == 404:
            raise BadInput(self._no_api())
        if status == 413:
            raise PublishRefused(
                f"WordPress at {self.url} refused the upload as too big (413); raise the site's"
                " upload_max_filesize and post_max_size (and the web server's body limit)"
            )
        if status == 429 or status >= 500:
            raise ServiceUnavailable(f"WordPress at {self.url} answered {status}; try again later")
        if status >= 400:
            reason = error.get("message") or " ".join(response.text.split())[:_SNIPPET] or "no reason given"
            code = f" {error['code']}" if error.get("code") else ""
            raise PublishRefused(
                f"WordPress at {self.url} would not {what} ({status}{code}: {self._clean(str(reason))})"
            )
        try:
            return response.json()
        except ValueError:
            # With 'Plain' permalinks /wp-json is not routed, and the site answers its home page instead.
            raise BadInput(self._no_api()) from None

    def _no_api(self) -> str:
        return (
            f"{self.url} has no WordPress REST API (/wp-json); check WORDPRESS_URL and that permalinks"
            " are not 'Plain'"
        )

    def _clean(self, text: str) -> str:
        return redact(text).replace(self._password, MASK)

    def _publication(self, post: dict[str, Any], idempotency_key: str) -> Publication:
        status = str(post.get("status") or "")
        published = post.get("date_gmt") or post.get("date")
        return {
            "target": self.target,
            "id": str(post["id"]),
            "url": str(post.get("link") or f"{self.url}/?p={post['id']}"),
            "published_at": f"{published}Z" if published else _now(),
            "status": _PUBLICATION_STATUS.get(status, status or "published"),
            "key": idempotency_key,
        }


_EDIT = {"context": "edit"}


def _chunks(path: Path) -> Iterator[bytes]:
    """The file in pieces: a video is never read into memory whole."""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _image_type(suffix: str) -> str:
    return {".png": "image/png", ".webp": "image/webp", ".gif": "image/gif"}.get(suffix, "image/jpeg")


def _wp_error(response: httpx.Response) -> dict[str, str]:
    """WordPress's error answer ({"code", "message", "data"}) when that is what came, else {}."""
    if response.status_code < 400:
        return {}
    try:
        value = response.json()
    except ValueError:
        return {}
    if not isinstance(value, dict) or not isinstance(value.get("code"), str):
        return {}
    return {"code": value["code"], "message": " ".join(str(value.get("message") or "").split())[:_SNIPPET]}


def _gmt(value: object) -> str | None:
    """An ISO 8601 time with a zone as WordPress's date_gmt ("2026-12-24T09:00:00"), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"publish time {value!r} is not ISO 8601; write e.g. 2026-12-24T09:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---- the post's HTML ----------------------------------------------------------------------------------


def post_html(
    *,
    video_url: str,
    script_markdown: str,
    metadata: dict[str, Any],
    video_id: int | None = None,
    poster_url: str | None = None,
    page_url: str | None = None,
) -> str:
    """The post's content: a core/video block, the script as an article, then its sources and credits.

    Every value is escaped: titles and scripts come from models and users, and only http(s) links are made.
    """
    esc = html.escape
    block_attrs = json.dumps({"id": video_id}) if video_id is not None else "{}"
    poster = f' poster="{esc(poster_url)}"' if poster_url and _web_url(poster_url) else ""
    parts = [
        f"<!-- wp:video {block_attrs} -->",
        f'<figure class="wp-block-video"><video controls preload="metadata"{poster}'
        f' src="{esc(video_url)}"></video></figure>',
        "<!-- /wp:video -->",
        markdown_html(script_markdown, drop_title=str(metadata.get("title") or "")),
    ]
    citations = [
        c for c in _dicts(metadata.get("citations")) if not _mentioned(c.get("source"), script_markdown)
    ]
    if citations:
        parts.append(f"<h2>{_section('Sources', script_markdown)}</h2>")
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{_link(c.get('title') or c.get('source') or '', c.get('source'))}</li>"
                for c in citations
            )
            + "</ul>"
        )
    credits = [c for c in _dicts(metadata.get("credits")) if not _mentioned(c.get("source"), script_markdown)]
    if credits:
        parts.append(f"<h2>{_section('Credits', script_markdown)}</h2>")
        parts.append("<ul>" + "".join(f"<li>{_credit(c)}</li>" for c in credits) + "</ul>")
    links = [link for link in _dicts(metadata.get("links")) if _web_url(link.get("url"))]
    if links:
        parts.append(f"<h2>{_section('Links', script_markdown)}</h2>")
        parts.append(
            "<ul>"
            + "".join(f"<li>{_link(link.get('name') or link['url'], link['url'])}</li>" for link in links)
            + "</ul>"
        )
    if page_url and _web_url(page_url):
        parts.append(f"<p>{_link('Watch it in the gallery', page_url)}</p>")
    if writer := str(metadata.get("writer") or "").strip():
        if writer not in script_markdown:
            parts.append(f"<p><em>Written by:</em> {esc(writer)}</p>")
    return "\n".join(part for part in parts if part)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^\d{1,9}[.)]\s+(.*)$")
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
# Links and bare URLs (http(s) only), strong, emphasis and code, in the order they are tried.
_INLINE = re.compile(
    r"\[(?P<label>[^\]]+)\]\((?P<href>[^)\s]+)\)"
    r"|(?P<url>https?://[^\s<>()\"']*[^\s<>()\"'.,;:!?])"
    r"|\*\*(?P<strong>.+?)\*\*"
    r"|(?<![\w*])(?P<mark>[*_])(?P<em>[^*_\s](?:.*?[^*_\s])?)(?P=mark)(?![\w*])"
    r"|`(?P<code>[^`]+)`"
)


def markdown_html(markdown: str, *, drop_title: str = "") -> str:
    """Simple Markdown (headings, paragraphs, lists, quotes, emphasis, links) as escaped HTML.

    The post's title is the page's <h1>, so a "#" heading becomes an <h2>, and a leading "# Title" that
    repeats `drop_title` is left out.
    """
    out: list[str] = []
    paragraph: list[str] = []
    quote: list[str] = []
    items: list[str] = []
    list_tag = ""
    seen_content = False

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            out.append("<p>" + "<br>\n".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if quote:
            out.append("<blockquote><p>" + " ".join(_inline(line) for line in quote) + "</p></blockquote>")
            quote.clear()
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        if heading := _HEADING.match(line):
            flush()
            level, text = len(heading.group(1)), heading.group(2)
            if level == 1 and not seen_content and drop_title and text.strip() == drop_title.strip():
                seen_content = True
                continue
            tag = f"h{max(level, 2)}"
            out.append(f"<{tag}>{_inline(text)}</{tag}>")
        elif _RULE.match(line):
            flush()
            out.append("<hr>")
        elif listed := _BULLET.match(line) or _ORDERED.match(line):
            tag = "ul" if listed.re is _BULLET else "ol"
            if paragraph or quote or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(listed.group(1))
        elif line.startswith(">"):
            if paragraph or items:
                flush()
            quote.append(line[1:].strip())
        else:
            if quote or items:
                flush()
            paragraph.append(line)
        seen_content = True
    flush()
    return "\n".join(out)


def _inline(text: str) -> str:
    """One line's inline Markdown as HTML, every piece of text escaped."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[position : match.start()]))
        position = match.end()
        if match.group("label") is not None:
            href = match.group("href")
            out.append(_link(match.group("label"), href) if _web_url(href) else html.escape(match.group(0)))
        elif match.group("url") is not None:
            out.append(_link(match.group("url"), match.group("url")))
        elif match.group("strong") is not None:
            out.append(f"<strong>{_inline(match.group('strong'))}</strong>")
        elif match.group("em") is not None:
            out.append(f"<em>{_inline(match.group('em'))}</em>")
        else:
            out.append(f"<code>{html.escape(match.group('code'))}</code>")
    out.append(html.escape(text[position:]))
    return "".join(out)


def _web_url(value: object) -> bool:
    """True for an absolute http(s) URL without whitespace: `javascript:` never reaches an href."""
    if not isinstance(value, str) or not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _link(label: str, url: object) -> str:
    """`label` escaped, linked to `url` when it is a web address; no referrer, no endorsement."""
    if not isinstance(url, str) or not _web_url(url):
        return html.escape(label)
    return f'<a href="{html.escape(url)}" rel="nofollow noopener noreferrer">{html.escape(label)}</a>'


def _credit(credit: dict[str, str]) -> str:
    """One picture's attribution: its title linked to its page, the author and the licence."""
    text = _link(credit.get("title") or "Untitled picture", credit.get("source"))
    if author := credit.get("author"):
        text += f" by {html.escape(author)}"
    if licence := credit.get("license"):
        text += f", {_link(licence, credit.get('license_url'))}"
    return text


def _dicts(value: object) -> list[dict[str, str]]:
    """A metadata list of objects as dicts of strings; anything else in it is ignored."""
    if not isinstance(value, list):
        return []
    return [
        {str(k): str(v) for k, v in entry.items() if isinstance(v, str | int | float)}
        for entry in value
        if isinstance(entry, dict)
    ]


def _section(name: str, markdown: str) -> str:
    """A heading for an added section; "More sources" when the script has a "Sources" section itself."""
    if re.search(rf"^#+\s+{name}\s*$", markdown, re.MULTILINE | re.IGNORECASE):
        return f"More {name.lower()}"
    return name


def _mentioned(source: str | None, markdown: str) -> bool:
    """True when the script's Markdown already names this source (it lists sources and credits itself)."""
    return bool(source) and str(source) in markdown
