"""The API's guards: the bearer token, request body limits, and files confined to their folder."""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.api.errors import error_response

# JSON bodies are small: a chat line, a job, an edited script of at most 12 scenes.
MAX_BODY_BYTES = 256 * 1024
# Paths anyone may load without the token: the health check (for load balancers) and the login page.
OPEN_PATHS = frozenset({"/healthz", "/login"})
TOKEN_COOKIE = "reelforge_token"


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _presented(scope: Scope) -> str | None:
    """The token a request carries: `Authorization: Bearer …`, or the dashboard's login cookie."""
    headers: dict[str, str] = {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]
    }
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE:
            return str(value)
    return None


class Guard:
    """ASGI middleware: with a token set, refuse (401) any request without it; refuse bodies over the
    limit (413) whether or not they declare their length."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int = MAX_BODY_BYTES) -> None:
        """Guard `app`; `token` None lets every request through (loopback only)."""
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token and the declared size, then count the body as it arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guarded = self.token and scope["path"] not in OPEN_PATHS
        if guarded and not token_matches(_presented(scope), self.token or ""):
            if _page_request(scope):
                # A person opening a page in a browser: send them to the login form, not a JSON 401.
                await RedirectResponse("/login", status_code=303)(scope, receive, send)
                return
            response = error_response(
                401, "this server needs its token: send 'Authorization: Bearer <REELFORGE_API_TOKEN>'"
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(self.max_body)(scope, receive, send)
            return
        seen, too_large = 0, False

        async def counted() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def unless_too_large(message: Message) -> None:
            # The app may turn the raise into its own 400 on the way out: the 413 below answers instead.
            if not too_large:
                await send(message)

        try:
            await self.app(scope, counted, unless_too_large)
        except BodyTooLarge:
            pass
        if too_large:
            await _too_large(self.max_body)(scope, receive, send)


def _page_request(scope: Scope) -> bool:
    """A browser's GET for an HTML page (it accepts text/html), as opposed to an API or script call."""
    accept = dict(scope["headers"]).get(b"accept", b"")
    return scope["method"] == "GET" and b"text/html" in accept


class BodyTooLarge(Exception):
    """A streamed request body went past the limit."""


def _too_large(limit: int) -> ASGIApp:
    return error_response(413, f"the request body is over {limit // 1024} KB; send less")


def confined(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, or None when it is outside (`..`, an absolute path, a
    symlink out), hidden, or not a file: the API then answers 404, whatever the reason."""
    if not relative or "\x00" in relative:
        return None
    root = folder.resolve()
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        return None
    return path
