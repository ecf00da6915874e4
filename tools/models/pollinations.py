"""Pollinations' free, keyless endpoints as providers of the "free" tier: text, image and speech.

Documented at https://github.com/pollinations/pollinations/blob/master/APIDOCS.md (the anonymous API):

- text: the OpenAI-compatible chat endpoint, `POST https://text.pollinations.ai/openai`, through the same
  ChatOpenAI client as any OpenAI-compatible server; the model list is `GET https://text.pollinations.ai/models`;
- image: `GET https://image.pollinations.ai/prompt/{prompt}?width=&height=&seed=&model=&nologo=true`
  answers the image's bytes (usually JPEG); the model list is `GET https://image.pollinations.ai/models`;
- speech: `GET https://text.pollinations.ai/{text}?model=openai-audio&voice=alloy` answers MP3 (`audio/mpeg`).

Every request asks for `private=true`, so prompts stay out of Pollinations' public feed. No key is ever sent:
the anonymous tier needs none, and a key meant for another provider must not reach a third party.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from state.model_calls import (
    Capability,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    SpeechRequest,
    Tier,
)
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_exception, failure_for_status
from tools.models.openai_api import OpenAIText
from tools.web import USER_AGENT

# Past this the GET endpoints' URLs get too long for proxies on the way (the docs: "short text snippets").
MAX_ENCODED_TEXT = 6000
MAX_IMAGE_SIDE = 2048
# Headers the openai SDK adds from its own settings or the environment; none of them is Pollinations'.
_NOT_FOR_THIRD_PARTIES = ("authorization", "openai-organization", "openai-project", "api-key")


def _anonymous(request: httpx.Request) -> None:
    """Drop every credential the SDK adds (it always sends a bearer key, even a placeholder)."""
    for name in _NOT_FOR_THIRD_PARTIES:
        request.headers.pop(name, None)


def _client(timeout_s: float, transport: httpx.BaseTransport | None) -> httpx.Client:
    return httpx.Client(
        timeout=timeout_s,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=3,
        transport=transport,
        event_hooks={"request": [_anonymous]},
    )


def _get(client: httpx.Client, url: str, what: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """GET with the failure kinds the router knows; `what` names the call without the user's text."""
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise failure_for_exception(error, what) or ProviderError("refused", f"{what} failed") from None
    if response.status_code != 200:
        raise failure_for_status(response.status_code, response.headers, what)
    return response


def _media(response: httpx.Response, what: str, expected: str) -> tuple[bytes, str]:
    """The body and its content type, when it is `expected` (image/ or audio/) and not empty."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type.startswith(expected):
        raise ProviderError(
            "bad_content", f"{what} answered {content_type or 'no content type'}, not {expected}*"
        )
    if not response.content:
        raise ProviderError("empty", f"{what} answered no bytes")
    return response.content, content_type


def _model_names(body: Any) -> list[str]:
    """Model ids from any list shape Pollinations serves: strings, objects with name/id/aliases, or
    OpenAI's {"data": [...]}."""
    items = body.get("data", []) if isinstance(body, dict) else body
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            for key in ("name", "id"):
                if isinstance(item.get(key), str):
                    names.append(item[key])
            aliases = item.get("aliases")
            names += [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
    return list(dict.fromkeys(names))


def check_models(client: httpx.Client, url: str, model: str) -> HealthResult:
    """GET `url` (a /models list): healthy iff it answers a list that holds `model`. Never raises."""
    started = time.monotonic()

    def result(error: str, models: list[str] | None = None) -> HealthResult:
        return HealthResult(not error, (time.monotonic() - started) * 1000, models=models or [], error=error)

    try:
        with client:
            response = _get(client, url, "GET /models")
            body = response.json()
    except ProviderError as error:
        return result(f"{error.kind}: {error.detail}")
    except ValueError:
        return result("GET /models answered something that is not JSON")
    names = _model_names(body)
    if not names:
        return result("GET /models answered no model list")
    if model not in names:
        return result(f"the model {model!r} is not among the {len(names)} models served", names)
    return result("", names)


def _site(url: str) -> str:
    """The text API's root (the OpenAI-compatible endpoint lives under /openai; the model list does not)."""
    return url.rstrip("/").removesuffix("/openai")


class PollinationsText(OpenAIText):
    """Chat completions at Pollinations' OpenAI-compatible endpoint: OpenAIText with no key and private."""

    def __init__(
        self,
        url: str,
        model: str = "openai",
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Talk to `url` (e.g. https://text.pollinations.ai/openai) with a client that sends no key."""
        self._transport = transport
        super().__init__(
            "pollinations_text",
            "free",
            url.rstrip("/"),
            None,
            model,
            timeout_s,
            http=_client(timeout_s, transport),
        )
        # Keep the prompts out of the public feed.
        self._chat = self._chat.model_copy(update={"extra_body": {"private": True}})

    def check(self) -> HealthResult:
        """GET /models at the text API's root lists the configured model."""
        return check_models(
            _client(self.timeout_s, self._transport), f"{_site(self.endpoint)}/models", self.model
        )


class PollinationsImage:
    """Text to image: one GET whose answer is the picture itself."""

    name = "pollinations_image"
    tier: Tier = "free"
    capability: Capability = "image"

    def __init__(
        self,
        url: str,
        model: str = "flux",
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Generate at `url` (e.g. https://image.pollinations.ai) with `model`."""
        self.endpoint = url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._transport = transport

    def call(self, request: ImageRequest) -> MediaAnswer:
        """The scene's picture at about the requested size (the router fits it exactly)."""
        prompt = " ".join(request.prompt.split())
        if not prompt:
            raise ProviderError("bad_request", "the image prompt is empty")
        encoded = quote(prompt[:1500], safe="")
        scale = min(1.0, MAX_IMAGE_SIDE / max(request.width, request.height, 1))
        params = {
            "width": max(64, round(request.width * scale)),
            "height": max(64, round(request.height * scale)),
            "seed": request.seed,
            "model": self.model,
            "nologo": "true",
            "private": "true",
        }
        what = "GET /prompt/{prompt}"
        with _client(self.timeout_s, self._transport) as client:
            response = _get(client, f"{self.endpoint}/prompt/{encoded}", what, params)
        data, content_type = _media(response, what, "image/")
        return MediaAnswer(data, self.model, content_type)

    def check(self) -> HealthResult:
        """GET /models lists the configured model."""
        return check_models(_client(self.timeout_s, self._transport), f"{self.endpoint}/models", self.model)


class PollinationsSpeech:
    """Text to speech through the text API's GET endpoint with the openai-audio model (MP3)."""

    name = "pollinations_speech"
    tier: Tier = "free"
    capability: Capability = "speech"

    def __init__(
        self,
        url: str,
        model: str = "openai-audio",
        voice: str = "alloy",
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Speak at `url` (e.g. https://text.pollinations.ai) with `model` and `voice`."""
        self.endpoint = url.rstrip("/")
        self.model = model
        self.voice = voice or "alloy"
        self.timeout_s = timeout_s
        self._transport = transport

    def call(self, request: SpeechRequest) -> MediaAnswer:
        """`request.text` spoken, as the MP3 the endpoint sends (the router decodes and checks it)."""
        text = " ".join(request.text.split())
        if not text:
            raise ProviderError("bad_request", "the narration is empty")
        encoded = quote(text, safe="")
        if len(encoded) > MAX_ENCODED_TEXT:
            raise ProviderError(
                "bad_request",
                f"the narration is {len(text)} characters, too long for the GET text-to-speech endpoint",
            )
        params = {"model": self.model, "voice": self.voice, "private": "true"}
        what = "GET /{text}?model=" + self.model
        with _client(self.timeout_s, self._transport) as client:
            response = _get(client, f"{self.endpoint}/{encoded}", what, params)
        data, content_type = _media(response, what, "audio/")
        return MediaAnswer(data, self.model, content_type)

    def check(self) -> HealthResult:
        """GET /models lists the speech model."""
        return check_models(_client(self.timeout_s, self._transport), f"{self.endpoint}/models", self.model)
