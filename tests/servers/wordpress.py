"""A WordPress site on localhost: the core REST API (`/wp-json/wp/v2`) for media and posts, as WordPress 6.

Authentication is HTTP Basic with an application password (WordPress ignores the spaces it shows them
with). A wrong password answers 401 `incorrect_password`, an unknown user 401 `invalid_username`, and a
request that needs a login but has none 401 `rest_not_logged_in`, each as WordPress's error object
{"code", "message", "data": {"status"}}.

- `POST /wp-json/wp/v2/media`: the raw file as the body, named by `Content-Disposition: attachment;
  filename="x.mp4"`; the attachment's slug is the file name without its extension, made unique with "-2"
  as WordPress does. A body over `max_upload_bytes` answers 413 (PHP's upload_max_filesize).
- `GET /wp-json/wp/v2/media?slug=&search=`: attachments by slug or by a word of their title.
- `POST /wp-json/wp/v2/posts`: JSON {title, content, excerpt, status, slug, featured_media, date_gmt}; a
  "future" post whose date has passed is published, a slug already taken gets "-2" (drafts keep theirs).
- `GET /wp-json/wp/v2/posts?slug=&status=any&context=edit` and `GET /wp-json/wp/v2/posts/{id}?context=edit`:
  `status=any` and `context=edit` need a login; without one only published posts are listed.

`rest_api=False` stands for a site with 'Plain' permalinks: /wp-json is not routed and the home page (HTML)
answers. `role` ("editor", "contributor", "subscriber") limits what the user may do, and `post_error` makes
post creation answer a WordPress error. Counters: `uploads` (media created) and `posts_created`.
"""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.servers.harness import ProtocolServer, Request, Response

API = "/wp-json/wp/v2"
STATUSES = ("publish", "future", "draft", "pending", "private")
HOME_PAGE = b"<!doctype html><html><body><h1>My blog</h1><p>Hello world!</p></body></html>"


def _error(code: str, message: str, status: int, **data: Any) -> Response:
    return Response.json({"code": code, "message": message, "data": {"status": status, **data}}, status)


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class WordPressServer(ProtocolServer):
    """A WordPress site with one user and one application password."""

    def __init__(
        self,
        user: str = "editor",
        app_password: str = "abcd EFGH ijkl MNOP qrst UVWX",
        *,
        rest_api: bool = True,
        max_upload_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.user = user
        self.app_password = app_password
        self.rest_api = rest_api
        self.max_upload_bytes = max_upload_bytes
        self.media: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.posts: dict[int, dict[str, Any]] = {}
        self.uploads = 0
        self.posts_created = 0
        # A "contributor" may not publish, a "subscriber" may create nothing.
        self.role = "editor"
        # (code, message, status) that post creation answers instead, as a plugin or a validator would.
        self.post_error: tuple[str, str, int] | None = None
        self._next_id = 100
        self._ids = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """Serve the REST routes (or the home page for every /wp-json path)."""
        if not self.rest_api:
            self.route("GET", "/", self._home)
            self.route("POST", "/", self._home)
            return
        self.route("GET", "/wp-json/", self._index)
        self.route("POST", f"{API}/media", self._upload)
        self.route("GET", f"{API}/media", self._list_media)
        self.route("POST", f"{API}/posts", self._create_post)
        self.route("GET", f"{API}/posts", self._get_posts)

    # ---- helpers --------------------------------------------------------------------------------------

    def _new_id(self) -> int:
        with self._ids:
            self._next_id += 1
            return self._next_id

    def _login(self, request: Request) -> tuple[bool, Response | None]:
        """(logged in, error answer): no header is anonymous; a wrong header is a 401."""
        header = request.headers.get("Authorization") or request.headers.get("authorization")
        if not header:
            return False, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, _error("rest_not_logged_in", "You are not currently logged in.", 401)
        user, _, password = base64.b64decode(value).decode("utf-8", "replace").partition(":")
        if user != self.user:
            return False, _error(
                "invalid_username", "Unknown username. Check again or try your email address.", 401
            )
        if password.replace(" ", "") != self.app_password.replace(" ", ""):
            return False, _error(
                "incorrect_password", "The provided password is an invalid application password.", 401
            )
        return True, None

    def _need_login(self, request: Request) -> Response | None:
        logged_in, problem = self._login(request)
        if problem is not None:
            return problem
        if not logged_in:
            return _error("rest_not_logged_in", "You are not currently logged in.", 401)
        return None

    def _link(self, post: dict[str, Any]) -> str:
        if post["status"] == "publish":
            day = post["date_gmt"][:10].replace("-", "/")
            return f"{self.url}/{day}/{post['slug']}/"
        return f"{self.url}/?p={post['id']}"

    def _view(self, post: dict[str, Any], edit: bool) -> dict[str, Any]:
        view = {
            "id": post["id"],
            "date": post["date_gmt"],
            "date_gmt": post["date_gmt"],
            "slug": post["slug"],
            "status": post["status"],
            "type": "post",
            "link": self._link(post),
            "title": {"rendered": post["title"]},
            "content": {"rendered": post["content"], "protected": False},
            "excerpt": {"rendered": post["excerpt"], "protected": False},
            "featured_media": post["featured_media"],
        }
        if edit:
            view["title"]["raw"] = post["title"]
            view["content"]["raw"] = post["content"]
            view["excerpt"]["raw"] = post["excerpt"]
        return view

    # ---- routes ---------------------------------------------------------------------------------------

    def _home(self, request: Request, fault: str | None) -> Response:
        return Response(HOME_PAGE, "text/html; charset=UTF-8")

    def _index(self, request: Request, fault: str | None) -> Response:
        if request.path.rstrip("/") != "/wp-json":
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        return Response.json({"name": "My blog", "url": self.url, "namespaces": ["wp/v2"]})

    def _upload(self, request: Request, fault: str | None) -> Response:
        if request.path != f"{API}/media":
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        if (problem := self._need_login(request)) is not None:
            return problem
        if self.role == "subscriber":
            return _error("rest_cannot_create", "Sorry, you are not allowed to upload files.", 403)
        if len(request.body) > self.max_upload_bytes:
            # nginx or PHP answers before WordPress: an HTML page, not a WordPress error.
            return Response(b"<html><body>413 Request Entity Too Large</body></html>", "text/html", 413)
        disposition = request.headers.get("Content-Disposition", "")
        match = re.search(r'filename="?([^";]+)"?', disposition)
        if not match:
            return _error("rest_upload_no_content_disposition", "No Content-Disposition supplied.", 400)
        if not request.body:
            return _error("rest_upload_no_data", "No data supplied.", 400)
        filename = match.group(1)
        base = re.sub(r"[^a-z0-9-]+", "-", filename.rsplit(".", 1)[0].lower()).strip("-")
        slug = base
        taken = {m["slug"] for m in self.media.values()} | {p["slug"] for p in self.posts.values()}
        number = 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        media_id = self._new_id()
        now = _gmt(datetime.now(UTC))
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        media = {
            "id": media_id,
            "date_gmt": now,
            "slug": slug,
            "status": "inherit",
            "type": "attachment",
            "title": {"rendered": base},
            "media_type": "image" if content_type.startswith("image/") else "file",
            "mime_type": content_type,
            "source_url": f"{self.url}/wp-content/uploads/2026/01/{filename}",
            "link": f"{self.url}/{slug}/",
        }
        self.media[media_id] = media
        self.files[media_id] = request.body
        self.uploads += 1
        return Response.json(media, 201)

    def _list_media(self, request: Request, fault: str | None) -> Response:
        if request.path != f"{API}/media":
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        _, problem = self._login(request)
        if problem is not None:
            return problem
        slug = (request.query.get("slug") or [""])[0]
        search = (request.query.get("search") or [""])[0].lower()
        found = [
            m
            for m in self.media.values()
            if (not slug or m["slug"] in slug.split(",")) and (not search or search in m["title"]["rendered"])
        ]
        return Response.json(sorted(found, key=lambda m: m["id"], reverse=True))

    def _create_post(self, request: Request, fault: str | None) -> Response:
        if request.path != f"{API}/posts":
            return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
        if (problem := self._need_login(request)) is not None:
            return problem
        if self.role == "subscriber":
            return _error(
                "rest_cannot_create", "Sorry, you are not allowed to create posts as this user.", 403
            )
        if self.post_error is not None:
            return _error(*self.post_error)
        body = request.json() or {}
        status = body.get("status", "draft")
        if status not in STATUSES:
            return _error(
                "rest_invalid_param",
                "Invalid parameter(s): status",
                400,
                params={"status": f"status is not one of {', '.join(STATUSES)}."},
            )
        if self.role == "contributor" and status in ("publish", "future", "private"):
            return _error(
                "rest_cannot_publish", "Sorry, you are not allowed to publish posts as this user.", 403
            )
        featured = int(body.get("featured_media") or 0)
        if featured and featured not in self.media:
            return _error("rest_invalid_featured_media", "Invalid featured media ID.", 400)
        now = datetime.now(UTC)
        date_gmt = _gmt(now)
        if body.get("date_gmt"):
            date_gmt = str(body["date_gmt"])[:19]
        if status == "future" and datetime.fromisoformat(date_gmt).replace(tzinfo=UTC) <= now:
            status = "publish"
        if status == "publish" and datetime.fromisoformat(date_gmt).replace(tzinfo=UTC) > now + timedelta(
            seconds=1
        ):
            status = "future"
        slug = str(body.get("slug") or "")
        if status not in ("draft", "pending"):
            base, number = slug, 2
            while slug in {p["slug"] for p in self.posts.values()}:
                slug, number = f"{base}-{number}", number + 1
        post_id = self._new_id()
        post = {
            "id": post_id,
            "date_gmt": date_gmt,
            "slug": slug,
            "status": status,
            "title": str(body.get("title") or ""),
            "content": str(body.get("content") or ""),
            "excerpt": str(body.get("excerpt") or ""),
            "featured_media": featured,
        }
        self.posts[post_id] = post
        self.posts_created += 1
        return Response.json(self._view(post, edit=True), 201)

    def _get_posts(self, request: Request, fault: str | None) -> Response:
        logged_in, problem = self._login(request)
        if problem is not None:
            return problem
        edit = (request.query.get("context") or ["view"])[0] == "edit"
        if edit and not logged_in:
            return _error(
                "rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type.", 401
            )
        rest = request.path[len(f"{API}/posts") :].strip("/")
        if rest:
            if not rest.isdigit():
                return _error("rest_no_route", "No route was found matching the URL and request method.", 404)
            post = self.posts.get(int(rest))
            if post is None or (post["status"] != "publish" and not logged_in):
                return _error("rest_post_invalid_id", "Invalid post ID.", 404)
            return Response.json(self._view(post, edit))
        statuses = (request.query.get("status") or ["publish"])[0].split(",")
        if statuses != ["publish"] and not logged_in:
            return _error("rest_forbidden_status", "Status is forbidden.", 401)
        if "any" in statuses:
            statuses = list(STATUSES)
        slugs = (request.query.get("slug") or [""])[0]
        found = [
            self._view(post, edit)
            for post in self.posts.values()
            if post["status"] in statuses and (not slugs or post["slug"] in slugs.split(","))
        ]
        return Response.json(sorted(found, key=lambda p: p["id"], reverse=True))
