"""Searched media: the provider that open-media and stock-media sources share (search, rank, claim,
download, decode check, credit), and the HTTP helpers their searches use.

A source is one search function per kind of media: it asks the source's API and returns candidates,
each a dict of strings with id, url, title, author, license, license_url, source, width and height
(and, for a video clip, the rendition picked for the frame). Everything after the search is here.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from state.model_calls import Capability, HealthResult, ImageRequest, MediaAnswer, Tier
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_status
from tools.web import USER_AGENT

# Pictures and clips larger than this are passed over (a stock clip's 4K rendition can be hundreds of MB).
MAX_MEDIA_BYTES = 25_000_000
MASK = "[redacted]"
_KEY_PARAM = re.compile(r"(?i)([?&](?:key|api_key|apikey|token)=)[^&#\s\"']+")

Candidate = dict[str, str]
# A source's search: (client, its base URL, the request) -> candidates, best first by the source's ranking.
Search = Callable[[httpx.Client, str, ImageRequest], list[Candidate]]


@contextmanager
def _failures(url: str) -> Iterator[None]:
    """Turn httpx's transport errors into the failure kinds the router knows, naming `url` (no query)."""
    try:
        yield
    except httpx.TimeoutException:
        raise ProviderError("timeout", f"{url} did not answer in time") from None
    except httpx.HTTPError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProviderError("refused", f"{url}: {hide_key_params(first)}") from None


def _raise_for_status(response: httpx.Response, url: str) -> None:
    if response.status_code >= 400:
        raise failure_for_status(response.status_code, response.headers, url)


def get_ok(
    client: httpx.Client,
    url: str,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET `url` with `params`; a ProviderError of the router's kinds for a failure or a non-2xx status.

    Error messages name `url` as given, never with its query, so a key sent as a parameter stays out.
    """
    with _failures(url):
        response = client.get(url, params=dict(params) if params else None, headers=headers)
    _raise_for_status(response, url)
    return response


def fetch_bytes(client: httpx.Client, url: str, limit: int = MAX_MEDIA_BYTES) -> bytes | None:
    """Download `url` whole; None when it is larger than `limit` bytes (stopped as soon as that shows)."""
    where = url.split("?", 1)[0]
    with _failures(where), client.stream("GET", url) as response:
        _raise_for_status(response, where)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's body as a JSON object, else a "malformed" ProviderError."""
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("malformed", "the answer is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("malformed", "the answer is not a JSON object")
    return body


def decodes(data: bytes) -> bool:
    """Whether the bytes are a picture Pillow can read whole (a broken file is passed over)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # any decoder error means the same: not this picture
        return False
    return True


def clip_decodes(data: bytes) -> bool:
    """Whether the bytes are a video clip PyAV decodes (its first frames, and its packets to the end)."""
    from tools.models.media_checks import check_clip

    try:
        check_clip(data)
    except ProviderError:
        return False
    return True


def pick_rendition(
    renditions: Sequence[tuple[int, int, int]], width: int, height: int, limit: int = MAX_MEDIA_BYTES
) -> int | None:
    """The index of the rendition (width, height, bytes or 0 when unknown) nearest the frame: the fewest
    pixels that still cover width x height, else the largest; None when every one is over `limit`."""
    fitting = [i for i, (w, h, size) in enumerate(renditions) if w > 0 and h > 0 and size <= limit]
    if not fitting:
        return None
    # A rendition covers the frame when scaling it to fill the frame does not enlarge it (2 % allowed).
    covering = [i for i in fitting if max(width / renditions[i][0], height / renditions[i][1]) <= 1.02]
    if covering:
        return min(covering, key=lambda i: renditions[i][0] * renditions[i][1])
    return max(fitting, key=lambda i: renditions[i][0] * renditions[i][1])


def ranked(candidates: list[Candidate], request: ImageRequest) -> list[Candidate]:
    """Candidates of the frame's orientation and with enough pixels first, then in the source's order."""
    wanted_landscape = request.width >= request.height

    def key(candidate: Candidate) -> tuple[bool, bool]:
        width, height = int(candidate.get("width") or 0), int(candidate.get("height") or 0)
        return (width >= height) != wanted_landscape, width * height < request.width * request.height // 4

    return sorted(candidates, key=key)


def hide_key_params(text: str) -> str:
    """`text` with the value of any key-like query parameter (key=, api_key=, token=) masked."""
    return _KEY_PARAM.sub(rf"\g<1>{MASK}", text)


class _HideKeyParams(logging.Filter):
    """Mask key parameters in httpx's request log lines ("HTTP Request: GET https://…/?key=…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_key_params(str(arg)) if isinstance(arg, str | httpx.URL) else arg for arg in record.args
            )
        record.msg = hide_key_params(str(record.msg))
        return True


def hide_keys_in_http_logs() -> None:
    """Install the mask on httpx's logger once: a source that takes its key as a URL parameter
    (Pixabay) must not leave it in whatever log an embedding application keeps."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _HideKeyParams) for existing in logger.filters):
        logger.addFilter(_HideKeyParams())


class MediaSearchProvider:
    """One searched source as an image provider: its search, then the ranking, the claim, the download,
    the decode check and the credit. With a clip search, a request that wants clips tries clips first."""

    tier: Tier = "free"
    capability: Capability = "image"

    def __init__(
        self,
        name: str,
        search: Search,
        url: str,
        timeout_s: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        *,
        clip_search: Search | None = None,
        secret: str | None = None,
    ) -> None:
        self.name = name
        self._search = search
        self._clip_search = clip_search
        self._secret = secret
        self.endpoint = url.rstrip("/")
        self.timeout_s = timeout_s
        self.transport = transport

    @property
    def model(self) -> str:
        """Searched media has no model: the ledger records the source."""
        return self.name

    def _client(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.timeout_s,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            max_redirects=3,
            transport=self.transport,
        )

    def _hidden(self, error: ProviderError) -> ProviderError:
        """The same failure with the key masked, should any message have picked it up."""
        detail = hide_key_params(error.detail)
        if self._secret:
            detail = detail.replace(self._secret, MASK)
        if detail == error.detail:
            return error
        return ProviderError(error.kind, detail, retry_after_s=error.retry_after_s)

    def call(self, request: ImageRequest) -> MediaAnswer:
        """The best picture (or, when asked, clip) for the scene's words that no other scene has taken."""
        try:
            return self._call(request)
        except ProviderError as error:
            raise self._hidden(error) from None

    def _call(self, request: ImageRequest) -> MediaAnswer:
        query = request.query.strip() or request.prompt[:100]
        with self._client() as client:
            if self._clip_search is not None and request.wants_clips():
                clips = self._clip_search(client, self.endpoint, request)
                if (answer := self._first(client, clips, request, clip=True)) is not None:
                    return answer
            candidates = self._search(client, self.endpoint, request)
            if not candidates:
                raise ProviderError("empty", f"{self.name} has no usable picture for '{query}'")
            if (answer := self._first(client, candidates, request, clip=False)) is not None:
                return answer
        raise ProviderError(
            "empty",
            f"every picture for '{query}' is in another scene already or does not download and decode",
        )

    def _first(
        self, client: httpx.Client, candidates: list[Candidate], request: ImageRequest, *, clip: bool
    ) -> MediaAnswer | None:
        """The first candidate, best ranked, that this scene may claim and that downloads and decodes."""
        for candidate in ranked(candidates, request):
            if request.claim is not None and not request.claim(f"{self.name}:{candidate['id']}"):
                continue
            try:
                data = fetch_bytes(client, candidate["url"])
            except ProviderError as error:
                # A file gone or forbidden is this candidate's problem; a slow or failing site the source's.
                if error.kind in ("bad_request", "auth"):
                    continue
                raise
            if data is None or not (clip_decodes(data) if clip else decodes(data)):
                continue
            credit = {key: candidate[key] for key in ("title", "author", "license", "license_url", "source")}
            return MediaAnswer(
                data, self.name, "video/mp4" if clip else "", credit={**credit, "provider": self.name}
            )
        return None

    def check(self) -> HealthResult:
        """Reachable (and, for a keyed source, the key accepted): one small search."""
        started = time.monotonic()
        try:
            with self._client() as client:
                self._search(client, self.endpoint, ImageRequest("sky", 64, 64, lambda: b"", query="sky"))
        except ProviderError as error:
            error = self._hidden(error)
            return HealthResult(
                False, (time.monotonic() - started) * 1000, error=f"{error.kind}: {error.detail}"
            )
        return HealthResult(True, (time.monotonic() - started) * 1000, models=[self.name])
