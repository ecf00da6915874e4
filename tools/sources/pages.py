"""Web pages as sources: fetched within bounds (size, time, redirects, addresses) and reduced to main text."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import httpx

from state import Fact
from tools.errors import BadInput, ServiceUnavailable
from tools.secrets import redact
from tools.sources.facts import extract_facts
from tools.text.markup import strip_markup
from tools.text.quality import count_words
from tools.web import USER_AGENT

# A page, feed or catalogue larger than this is not an article; the same cap as a local source file.
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
# Every request of one fetch (each redirect and the body) shares this many seconds.
TIMEOUT_S = 20.0
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# Fewer words than this is no article: a login form, a cookie wall, "enable JavaScript to run this app".
MIN_WORDS = 20
_NOSCRIPT = re.compile(rb"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

CheckUrl = Callable[[str], None]


@dataclass(frozen=True)
class Fetched:
    """A body fetched over http(s): the final URL after redirects, its media type and charset, and bytes."""

    url: str
    content_type: str
    charset: str | None
    body: bytes


@dataclass(frozen=True)
class Page:
    """A web page's main text and what it says about itself (title, author and date when it gives them)."""

    url: str
    title: str
    author: str | None
    date: str | None
    text: str


def fetch_bytes(
    url: str,
    *,
    http: httpx.Client,
    what: str = "the page",
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    check_url: CheckUrl | None = None,
    check_type: Callable[[str, str], None] | None = None,
    accept: str = "*/*",
    timeout_s: float = TIMEOUT_S,
) -> Fetched:
    """GET `url`, following at most `max_redirects` redirects itself so `check_url` sees every hop.

    `what` names the thing in errors ("the feed"); `check_type(content_type, url)` may refuse the body's
    type before it is read. BadInput for a wrong address (404, 4xx, too big, a loop); ServiceUnavailable
    for what may pass (5xx, 429, timeouts, dropped connections).
    """
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    current = url
    for _ in range(max_redirects + 1):
        _check_address(current, what, url)
        if check_url is not None:
            check_url(current)
        seen.add(current)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_slow(what, url, timeout_s)
        headers = {"User-Agent": USER_AGENT, "Accept": accept}
        try:
            with http.stream(
                "GET", current, headers=headers, follow_redirects=False, timeout=remaining
            ) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise BadInput(
                            redact(
                                f"{what} {url} answered {status} without a Location; give its final address"
                            )
                        )
                    current = urljoin(current, location.strip())
                    if current in seen:
                        raise BadInput(redact(f"{what} {url} redirects in a loop; give its final address"))
                    continue
                _check_status(response, what, url)
                content_type, charset = _media_type(response.headers.get("Content-Type", ""))
                if check_type is not None:
                    check_type(content_type, str(response.url))
                body = _read(response, what, url, max_bytes, deadline, timeout_s)
                return Fetched(str(response.url), content_type, charset, body)
        except httpx.TimeoutException:
            raise _too_slow(what, url, timeout_s) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise BadInput(redact(f"{what} {current} is not a valid http(s) address; check it")) from None
        except httpx.HTTPError as exc:
            raise _unreachable(exc, what, url) from None
    raise BadInput(redact(f"{what} {url} redirects more than {max_redirects} times; give its final address"))


def _check_address(current: str, what: str, url: str) -> None:
    """An http(s) URL with a host; a redirect elsewhere (file:, ftp:) is named with where it came from."""
    try:
        parts = urlsplit(current)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is not None and parts.scheme.lower() not in ("http", "https"):
        shown = f"{what} {url} leads to {current}, which" if current != url else f"{what} {url}"
        raise BadInput(redact(f"{shown} is not http(s); give an http(s) address"))
    if not host:
        raise BadInput(redact(f"{what} {current} is not a valid http(s) address; check it"))


def _check_status(response: httpx.Response, what: str, url: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    answered = f"{what} {url} answered {status} {_phrase(response)}"
    if status in (404, 410):
        raise BadInput(redact(f"{answered}; check the address"))
    if status == 429 or status >= 500:
        raise ServiceUnavailable(redact(f"{answered}; try again later"))
    if status in (401, 403):
        raise BadInput(
            redact(f"{answered} (it needs a login or refuses robots); save its text to a file instead")
        )
    raise BadInput(redact(f"{answered}; check the address"))


def _phrase(response: httpx.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase or "(no reason)"


def _media_type(header: str) -> tuple[str, str | None]:
    """("text/html", "utf-8") from 'text/html; charset=UTF-8'; ("", None) when the server gave no type."""
    parts = [part.strip() for part in header.split(";")]
    charset = None
    for part in parts[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return parts[0].lower(), charset


def _read(
    response: httpx.Response, what: str, url: str, max_bytes: int, deadline: float, timeout_s: float
) -> bytes:
    """The body, refused as soon as it passes `max_bytes` (decompressed) or the deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(what, url, max_bytes, int(declared))
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _too_big(what, url, max_bytes)
        if time.monotonic() > deadline:
            raise _too_slow(what, url, timeout_s)
    return bytes(body)


def _size(count: int) -> str:
    if count >= 1_048_576:
        return f"{count / 1_048_576:.1f} MB"
    return f"{max(1, round(count / 1024))} KB"


def _too_big(what: str, url: str, max_bytes: int, size: int | None = None) -> BadInput:
    found = f"is {_size(size)}" if size is not None else f"is over {_size(max_bytes)}"
    return BadInput(
        redact(
            f"{what} {url} {found}; a source may be at most {_size(max_bytes)}, so save an excerpt to a file"
        )
    )


def _too_slow(what: str, url: str, timeout_s: float) -> ServiceUnavailable:
    return ServiceUnavailable(redact(f"{what} {url} did not answer within {timeout_s:g} s; try again later"))


def _unreachable(exc: httpx.HTTPError, what: str, url: str) -> BadInput | ServiceUnavailable:
    """A host that does not exist is a wrong address; anything else on the way may pass."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            host = urlsplit(url).hostname or url
            return BadInput(redact(f"the host {host} of {what} {url} does not exist; check the address"))
        cause = cause.__cause__ or cause.__context__
    reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return ServiceUnavailable(
        redact(f"cannot reach {what} {url} ({reason}); check the address or try again later")
    )


def _check_page_type(content_type: str, url: str) -> None:
    # A server that names no type is given the benefit of the doubt: the extractor decides.
    if content_type and content_type not in PAGE_TYPES:
        raise BadInput(
            redact(
                f"the page {url} is {content_type}, not a web page; give an HTML page's address "
                "(a feed is a source of kind feed, a CSV or JSON file one of kind catalogue)"
            )
        )


def fetch_page(
    url: str,
    *,
    http: httpx.Client,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    check_url: CheckUrl | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Page:
    """Fetch an http(s) page and keep its main text (no menus, footers or cookie notices) and metadata."""
    fetched = fetch_bytes(
        url,
        http=http,
        what="the page",
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        check_url=check_url,
        check_type=_check_page_type,
        accept="text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8",
        timeout_s=timeout_s,
    )
    if fetched.content_type == "text/plain":
        page = _plain_page(fetched)
    else:
        page = _html_page(fetched)
    if count_words(page.text) < MIN_WORDS:
        raise BadInput(
            redact(
                f"the page {url} has no main text (a login page, a script-only page?); "
                "give another page or save its text to a .md file"
            )
        )
    return page


def _decode(fetched: Fetched) -> str:
    for encoding in (fetched.charset, "utf-8"):
        if not encoding:
            continue
        try:
            return fetched.body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return fetched.body.decode("utf-8", errors="replace")


def _plain_page(fetched: Fetched) -> Page:
    text = _tidy(_decode(fetched).lstrip("\ufeff"))
    first = text.split("\n", 1)[0].strip()
    title = (
        first if first and len(first.split()) <= 12 and first[-1] not in ".!?,;:" else _url_title(fetched.url)
    )
    return Page(url=fetched.url, title=title, author=None, date=None, text=text)


def _html_page(fetched: Fetched) -> Page:
    # trafilatura (lxml, htmldate, justext) loads with the first page, not with every process.
    import trafilatura

    # What a page says to browsers without JavaScript is not its content.
    body = _NOSCRIPT.sub(b"", fetched.body)
    document: str | bytes = body
    if fetched.charset:
        # The header's charset wins over guessing; an XML declaration in a str would make lxml refuse it.
        document = re.sub(r"^\s*<\?xml[^>]*\?>", "", _decode(replace(fetched, body=body)))
    extracted = trafilatura.bare_extraction(
        document,
        url=fetched.url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
    )
    text = _tidy(str(getattr(extracted, "text", None) or "")) if extracted is not None else ""
    title = _line(getattr(extracted, "title", None)) or _url_title(fetched.url)
    return Page(
        url=fetched.url,
        title=title,
        author=_line(getattr(extracted, "author", None)) or None,
        date=_line(getattr(extracted, "date", None)) or None,
        text=text,
    )


def _line(value: object) -> str:
    return " ".join(strip_markup(str(value)).split()) if value else ""


def _tidy(text: str) -> str:
    """Markup-free lines, each with single spaces; no runs of blank lines."""
    text = strip_markup(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _url_title(url: str) -> str:
    """'coffee history' for https://example.org/articles/coffee-history.html; the host for a bare site."""
    parts = urlsplit(url)
    stem = parts.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = " ".join(re.split(r"[_\-\s+]+", stem)).strip()
    return words or parts.hostname or url


def page_facts(page: Page, limit: int = 40, lang: str = "en") -> list[Fact]:
    """Up to `limit` quotable sentences of the page, each with the page's URL and title."""
    facts = extract_facts(page.title, page.text, page.url, limit=limit, lang=lang)
    return [{**fact, "title": page.title} for fact in facts]
