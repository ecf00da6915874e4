"""Providers for any OpenAI-compatible API (vLLM, LiteLLM, llama.cpp, OpenAI, Groq): text, image, speech."""

from __future__ import annotations

import base64
import binascii
import math
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from typing import Any, Literal, cast

import httpx
import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr, ValidationError

from tools.models.base import (
    Capability,
    ChatAnswer,
    ChatRequest,
    HealthResult,
    ImageRequest,
    MediaAnswer,
    SpeechRequest,
    TextAnswer,
    TextRequest,
    Tier,
    ToolCall,
)
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_exception, failure_for_status
from tools.models.structured import json_schema_for, parse_structured, repair_prompt
from tools.models.tool_calls import tool_call

ImageSize = Literal["1024x1024", "1024x1792", "1792x1024"]
IMAGE_SIZES: tuple[ImageSize, ...] = ("1024x1024", "1024x1792", "1792x1024")

# What a body that is not the documented JSON raises inside the SDKs: json.JSONDecodeError (a ValueError),
# pydantic errors, and AttributeError/KeyError/TypeError for an HTML page the SDK hands back as a str.
_MALFORMED = (
    ValueError,
    ValidationError,
    KeyError,
    TypeError,
    AttributeError,
    openai.APIResponseValidationError,
)


@contextmanager
def sdk_failures(what: str, timeout_s: float) -> Iterator[None]:
    """Turn whatever the openai SDK, ChatOpenAI or httpx raise inside the block into a ProviderError.

    Server messages are never copied: some of them echo part of the API key.
    """
    try:
        yield
    except ProviderError:
        raise
    except openai.APITimeoutError:  # a subclass of APIConnectionError, so it comes first
        raise ProviderError("timeout", f"{what} timed out after {timeout_s:g} s") from None
    except openai.APIConnectionError as error:
        cause: BaseException = error
        while cause.__cause__ is not None:  # ChatOpenAI wraps the SDK's error, which wraps httpx's
            cause = cause.__cause__
        raise ProviderError("refused", f"{what} could not connect ({type(cause).__name__})") from None
    except openai.APIStatusError as error:
        raise failure_for_status(error.status_code, error.response.headers, what) from None
    except openai.LengthFinishReasonError:
        raise ProviderError("invalid_output", f"{what}: the answer was cut off at max_tokens") from None
    except openai.ContentFilterFinishReasonError:
        raise ProviderError("bad_request", f"{what}: the content filter refused the answer") from None
    except httpx.HTTPError as error:
        raise failure_for_exception(error, what) or ProviderError("refused", f"{what} failed") from None
    except (*_MALFORMED, openai.OpenAIError) as error:
        raise ProviderError(
            "malformed", f"{what} answered a body that is not the documented JSON ({type(error).__name__})"
        ) from None


def check_models(
    base_url: str, api_key: str | None, model: str, timeout_s: float, http: httpx.Client | None = None
) -> HealthResult:
    """GET {base_url}/models: healthy iff it answers 200 and lists `model`. Never raises."""
    started = time.monotonic()
    what = "GET /models"

    def result(error: str, models: list[str] | None = None) -> HealthResult:
        elapsed = (time.monotonic() - started) * 1000
        return HealthResult(healthy=not error, latency_ms=elapsed, models=models or [], error=error)

    client = http or httpx.Client(timeout=timeout_s)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = client.get(f"{base_url.rstrip('/')}/models", headers=headers, timeout=timeout_s)
    except Exception as error:  # a health check reports, it never raises
        failure = failure_for_exception(error, what)
        return result(failure.detail if failure else f"{what} failed ({type(error).__name__})")
    finally:
        if http is None:
            client.close()
    if response.status_code in (401, 403):
        return result(f"the key was refused ({response.status_code})")
    if response.status_code != 200:
        return result(failure_for_status(response.status_code, response.headers, what).detail)
    try:
        ids = [str(item["id"]) for item in response.json()["data"]]
    except (ValueError, KeyError, TypeError):
        return result(f"{what} answered something that is not a model list")
    if model not in ids:
        return result(f"the model {model!r} is not among the {len(ids)} models served", ids)
    return result("", ids)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(
            "malformed", "POST /images/generations answered b64_json that is not base64"
        ) from None


def image_size(width: int, height: int) -> ImageSize:
    """The supported size whose aspect ratio is closest to width x height."""
    aspect = math.log(max(width, 1) / max(height, 1))
    return min(IMAGE_SIZES, key=lambda s: abs(aspect - math.log(int(s[:4]) / int(s[5:]))))


class _OpenAICompatible:
    """What the three providers share: identity, the SDK client, failure mapping and the health check."""

    capability: Capability

    def __init__(
        self,
        name: str,
        tier: Tier,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout_s: float = 120.0,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.name = name
        self.tier: Tier = tier
        self.endpoint = base_url
        self.model = model
        self.timeout_s = timeout_s
        self._api_key = api_key
        self._http = http

    @cached_property
    def _sdk(self) -> openai.OpenAI:
        # Never None: without a key the SDK would read OPENAI_API_KEY and send it to a self-hosted server.
        return openai.OpenAI(
            base_url=self.endpoint,
            api_key=self._api_key or "not-needed",
            timeout=self.timeout_s,
            max_retries=0,
            http_client=cast(Any, self._http),
        )

    def _failures(self, route: str) -> AbstractContextManager[None]:
        return sdk_failures(f"POST {route}", self.timeout_s)

    def check(self) -> HealthResult:
        """Probe GET /models: reachable, the key accepted and the configured model listed."""
        return check_models(self.endpoint, self._api_key, self.model, self.timeout_s, self._http)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.endpoint!r}, {self.model!r})"


class OpenAIText(_OpenAICompatible):
    """Chat completions through ChatOpenAI, asking for JSON that fits a schema, with one repair attempt."""

    capability: Capability = "text"
    chats = True

    def __init__(
        self,
        name: str,
        tier: Tier,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout_s: float = 60.0,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(name, tier, base_url, api_key, model, timeout_s, http=http)
        self._chat = ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(api_key or "not-needed"),
            timeout=timeout_s,
            max_retries=0,
            http_client=http,
            use_responses_api=False,  # some model names would switch ChatOpenAI to /responses
        )

    def call(self, request: TextRequest) -> TextAnswer:
        """Ask for one JSON object fitting `request.schema`; repair once if it does not fit."""
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": request.schema.__name__,
                "schema": json_schema_for(request.schema),
                "strict": False,
            },
        }
        messages: list[BaseMessage] = [SystemMessage(request.system), HumanMessage(request.prompt)]
        tokens_in = tokens_out = 0
        for attempt in range(2):
            with self._failures("/chat/completions"):
                reply = self._chat.invoke(
                    messages,
                    response_format=response_format,
                    temperature=request.temperature,
                    max_tokens=request.max_tokens,
                )
            if usage := reply.usage_metadata:
                tokens_in += usage["input_tokens"]
                tokens_out += usage["output_tokens"]
            try:
                data = parse_structured(reply.text, request.schema)
            except ProviderError as error:
                if error.kind != "invalid_output" or attempt:
                    raise
                messages += [AIMessage(reply.text), HumanMessage(repair_prompt(error.detail))]
                continue
            return TextAnswer(data=data, model=self.model, tokens_in=tokens_in, tokens_out=tokens_out)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def chat(self, request: ChatRequest) -> ChatAnswer:
        """One tool-calling turn: POST /chat/completions with the history and `tools` through the SDK."""
        what = "POST /chat/completions"
        with self._failures("/chat/completions"):
            completion = self._sdk.chat.completions.create(
                model=self.model,
                messages=cast(Any, request.messages),
                # OpenAI refuses an empty tools array; a chat without tools simply sends none.
                tools=cast(Any, request.tools) if request.tools else openai.omit,
                temperature=request.temperature,
                max_completion_tokens=request.max_tokens,
                # The same extra body the structured calls send (Pollinations: private=true).
                extra_body=self._chat.extra_body,
            )
            if not completion.choices:
                raise ProviderError("empty", f"{what} answered no choices")
            message = completion.choices[0].message
            calls = [_function_call(call, what) for call in message.tool_calls or []]
            usage = completion.usage
            tokens_in = usage.prompt_tokens if usage else 0
            tokens_out = usage.completion_tokens if usage else 0
        return ChatAnswer(message.content or "", self.model, calls, tokens_in, tokens_out)


def _function_call(call: Any, what: str) -> ToolCall:
    """A chat completion's tool call; a "custom" tool call (free text, no function) is none we offered."""
    function = getattr(call, "function", None)
    if function is None:
        raise ProviderError("malformed", f"{what} answered a {call.type!s} tool call, not a function call")
    return tool_call(call.id, function.name, function.arguments, what)


class OpenAIImage(_OpenAICompatible):
    """Image generation through the openai SDK; answers base64 PNG, or a URL that is fetched."""

    capability: Capability = "image"

    def call(self, request: ImageRequest) -> MediaAnswer:
        """Generate one image at the supported size closest to the requested aspect ratio."""
        with self._failures("/images/generations"):
            answer = self._sdk.images.generate(
                model=self.model,
                prompt=request.prompt,
                n=1,
                size=image_size(request.width, request.height),
                response_format="b64_json",
            )
            if not answer.data:
                raise ProviderError("empty", "POST /images/generations answered no images")
            image = answer.data[0]
            if image.b64_json:
                data = _b64decode(image.b64_json)
                content_type = "image/png"
            elif image.url:
                data, content_type = self._fetch(image.url)
            else:
                raise ProviderError("malformed", "POST /images/generations answered neither b64_json nor url")
        if not data:
            raise ProviderError("empty", "POST /images/generations answered an empty image")
        return MediaAnswer(data=data, model=self.model, content_type=content_type)

    def _fetch(self, url: str) -> tuple[bytes, str]:
        # No Authorization header: the URL may live on another host (OpenAI serves them from blob storage).
        what = "GET <image url>"
        client = self._http or httpx.Client(timeout=self.timeout_s)
        try:
            with sdk_failures(what, self.timeout_s):
                response = client.get(url, timeout=self.timeout_s)
        finally:
            if self._http is None:
                client.close()
        if response.status_code != 200:
            raise failure_for_status(response.status_code, response.headers, what)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if not content_type.startswith("image/"):
            raise ProviderError("bad_content", f"{what} answered {content_type or 'no content type'}")
        return response.content, content_type


class OpenAISpeech(_OpenAICompatible):
    """Text to speech through the openai SDK, asking for WAV."""

    capability: Capability = "speech"

    def __init__(
        self,
        name: str,
        tier: Tier,
        base_url: str,
        api_key: str | None,
        model: str,
        voice: str = "alloy",
        timeout_s: float = 120.0,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(name, tier, base_url, api_key, model, timeout_s, http=http)
        self.voice = voice

    def call(self, request: SpeechRequest) -> MediaAnswer:
        """Speak `request.text`; the bytes are returned as sent (the router checks they decode)."""
        with self._failures("/audio/speech"):
            answer = self._sdk.audio.speech.create(
                model=self.model, voice=self.voice, input=request.text, response_format="wav"
            )
            content_type = answer.response.headers.get("content-type", "").split(";")[0].strip()
            data = answer.content
        if not content_type.startswith("audio/"):
            raise ProviderError(
                "bad_content", f"POST /audio/speech answered {content_type or 'no content type'}, not audio"
            )
        if not data:
            raise ProviderError("empty", "POST /audio/speech answered no audio")
        return MediaAnswer(data=data, model=self.model, content_type=content_type)
