"""Hugging Face Inference API providers for text, image and speech, through the official `InferenceClient`.

Each provider gives `InferenceClient` the model URL `{endpoint}/models/{model}` as `base_url` (default
endpoint: the router's `https://router.huggingface.co/hf-inference`, the same URL the library builds for
`provider="hf-inference"`). A URL skips the library's model lookups on the Hub, so every request goes to
the configured endpoint: chat to `POST {model URL}/v1/chat/completions`, text-to-image and text-to-speech
to `POST {model URL}`. `check()` asks the Hub `GET /api/whoami-v2` whether the token is valid.

huggingface_hub 2.x speaks HTTP through `httpx2` (not `httpx`), so its transport errors are mapped here.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import httpx
import httpx2
from huggingface_hub import (
    ChatCompletionInputJSONSchema,
    ChatCompletionInputMessage,
    ChatCompletionInputResponseFormatJSONSchema,
    ChatCompletionOutput,
    InferenceClient,
)
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError
from PIL import UnidentifiedImageError

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

DEFAULT_ENDPOINT = "https://router.huggingface.co/hf-inference"
DEFAULT_HUB_URL = "https://huggingface.co"
_CHAT_ROUTE = "/v1/chat/completions"
_NO_TOKEN = "no HF token; set HF_TOKEN"

T = TypeVar("T")

# Leading bytes of the audio containers the Inference API answers with (hf-inference sends FLAC).
_AUDIO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"fLaC", "audio/flac"),
    (b"RIFF", "audio/wav"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"\xff\xf2", "audio/mpeg"),
)


class _HFProvider:
    """What the three Hugging Face providers share: the client, error mapping and the token check."""

    name = "huggingface"
    tier: Tier = "cloud"
    capability: Capability

    def __init__(
        self,
        base_url: str,
        token: str | None,
        model: str,
        timeout_s: float = 60.0,
        *,
        hub_url: str = DEFAULT_HUB_URL,
    ) -> None:
        self.endpoint = base_url
        self.token = token
        self.model = model
        self.timeout_s = timeout_s
        self.hub_url = hub_url.rstrip("/")
        model_url = f"{base_url.rstrip('/')}/models/{model}"
        self._route = urlsplit(model_url).path
        self._client = InferenceClient(base_url=model_url, token=token, timeout=timeout_s)

    def _run(self, route_suffix: str, call: Callable[[], T]) -> T:
        """Run one client call and turn every transport or HTTP failure into a ProviderError."""
        what = f"POST {self._route}{route_suffix}"
        if not self.token:
            # Without this the library would fall back to a token saved on this machine.
            raise ProviderError("unavailable", _NO_TOKEN)
        try:
            return call()
        except InferenceTimeoutError:
            raise ProviderError("timeout", f"{what} timed out after {self.timeout_s:g} s") from None
        except HfHubHTTPError as error:
            # The server's message is not copied: it may echo the request.
            response = error.response
            raise failure_for_status(response.status_code, response.headers, what) from None
        except httpx2.TimeoutException:
            raise ProviderError("timeout", f"{what} timed out after {self.timeout_s:g} s") from None
        except httpx2.TransportError as error:
            raise ProviderError("refused", f"{what} could not connect ({type(error).__name__})") from None

    def check(self) -> HealthResult:
        """Ask the Hub whether the token is valid (GET /api/whoami-v2); never raises."""
        start = time.monotonic()

        def result(error: str) -> HealthResult:
            ms = (time.monotonic() - start) * 1000
            return HealthResult(not error, ms, [self.model] if not error else [], error)

        if not self.token:
            return result(_NO_TOKEN)
        what = "GET /api/whoami-v2"
        # HfApi.whoami() has no timeout (the library's session waits forever), so ask the Hub directly.
        try:
            response = httpx.get(
                f"{self.hub_url}/api/whoami-v2",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as error:
            failure = failure_for_exception(error, f"the Hugging Face Hub at {self.hub_url}")
            detail = failure.detail if failure else f"{what} failed ({type(error).__name__})"
            return result(f"{detail}; check the network or the hub URL")
        except (httpx.InvalidURL, ValueError) as error:
            return result(f"the hub URL {self.hub_url!r} or the token is unusable ({type(error).__name__})")
        if response.status_code in (401, 403):
            return result(f"the HF token was refused ({response.status_code}); check HF_TOKEN")
        if response.status_code != 200:
            failure = failure_for_status(response.status_code, response.headers, what)
            return result(f"the Hugging Face Hub at {self.hub_url}: {failure.detail}")
        return result("")


class HFText(_HFProvider):
    """Structured JSON answers from a chat model on the Hugging Face Inference API."""

    capability: Capability = "text"
    chats = True

    def call(self, request: TextRequest) -> TextAnswer:
        """Ask for JSON that fits `request.schema`, with one repair attempt; tokens summed over both calls."""
        response_format = ChatCompletionInputResponseFormatJSONSchema(
            type="json_schema",
            json_schema=ChatCompletionInputJSONSchema(
                name=request.schema.__name__, schema=json_schema_for(request.schema), strict=True
            ),
        )
        messages: list[dict[str, Any] | ChatCompletionInputMessage] = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.prompt},
        ]
        tokens_in = tokens_out = 0
        for attempt in range(2):
            text, used_in, used_out = _reply(self._complete(messages, request, response_format))
            tokens_in, tokens_out = tokens_in + used_in, tokens_out + used_out
            try:
                data = parse_structured(text, request.schema)
            except ProviderError as error:
                if error.kind != "invalid_output" or attempt == 1:
                    raise
                messages += [
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": repair_prompt(error.detail)},
                ]
                continue
            return TextAnswer(data, self.model, tokens_in, tokens_out)
        raise AssertionError("unreachable")  # pragma: no cover

    def _complete(
        self,
        messages: list[dict[str, Any] | ChatCompletionInputMessage],
        request: TextRequest,
        response_format: ChatCompletionInputResponseFormatJSONSchema,
    ) -> ChatCompletionOutput:
        """One chat completion; a body that is not a JSON chat completion is "malformed"."""
        return self._completion(
            lambda: self._client.chat_completion(
                messages,
                model=self.model,
                response_format=response_format,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        )

    def _completion(self, call: Callable[[], ChatCompletionOutput]) -> ChatCompletionOutput:
        """Run one chat completion call; a body that is not a JSON chat completion is "malformed"."""
        try:
            return self._run(_CHAT_ROUTE, call)
        except (ValueError, TypeError) as error:
            # The client parses the body itself, so bad JSON surfaces as ValueError (JSONDecodeError).
            detail = f"POST {self._route}{_CHAT_ROUTE} did not answer a JSON chat completion"
            raise ProviderError("malformed", f"{detail} ({type(error).__name__})") from None

    def chat(self, request: ChatRequest) -> ChatAnswer:
        """One tool-calling turn: the history and `tools` through `chat_completion`."""
        output = self._completion(
            lambda: self._client.chat_completion(
                cast(Any, request.messages),
                model=self.model,
                tools=cast(Any, request.tools) or None,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
            )
        )
        text, tokens_in, tokens_out = _reply(output)
        what = f"POST {self._route}{_CHAT_ROUTE}"
        calls = [_function_call(call, what) for call in output.choices[0].message.tool_calls or []]
        return ChatAnswer(text or "", self.model, calls, tokens_in, tokens_out)


def _reply(output: ChatCompletionOutput) -> tuple[str | None, int, int]:
    """The first choice's text and the token counts; "malformed" when the shape is wrong."""
    choices = output.choices if isinstance(output, ChatCompletionOutput) else None
    if not choices or getattr(choices[0], "message", None) is None:
        raise ProviderError("malformed", "the chat completion has no choices[0].message")
    content = choices[0].message.content
    if content is not None and not isinstance(content, str):
        raise ProviderError("malformed", "choices[0].message.content is not a string")
    usage = output.usage
    tokens_in, tokens_out = getattr(usage, "prompt_tokens", 0), getattr(usage, "completion_tokens", 0)
    return content, int(tokens_in or 0), int(tokens_out or 0)


def _function_call(call: Any, what: str) -> ToolCall:
    """A chat completion's tool call: TGI sends the arguments as an object, other servers as JSON text."""
    function = getattr(call, "function", None)
    if function is None:
        raise ProviderError("malformed", f"{what} answered a tool call without a function")
    return tool_call(getattr(call, "id", None), function.name, function.arguments, what)


class HFImage(_HFProvider):
    """Images from a text-to-image model on the Hugging Face Inference API."""

    capability: Capability = "image"

    def call(self, request: ImageRequest) -> MediaAnswer:
        """One image: PNG bytes as served, or re-encoded as PNG when the server sent another format."""
        what = f"POST {self._route}"
        try:
            image = self._run(
                "",
                lambda: self._client.text_to_image(
                    request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    width=request.width,
                    height=request.height,
                    seed=request.seed,
                ),
            )
            # The client opens the body lazily from a BytesIO: keep the exact bytes before decoding.
            body = getattr(image, "fp", None)
            raw = body.getvalue() if image.format == "PNG" and isinstance(body, io.BytesIO) else None
            image.load()
        except OSError as error:  # PIL: no known image header, or a truncated one
            why = "not an image, or empty" if isinstance(error, UnidentifiedImageError) else "truncated"
            raise ProviderError("bad_content", f"{what} did not answer a decodable image ({why})") from None
        if raw is None:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            raw = buffer.getvalue()
        return MediaAnswer(raw, self.model, "image/png")


class HFSpeech(_HFProvider):
    """Speech from a text-to-speech model on the Hugging Face Inference API."""

    capability: Capability = "speech"

    def call(self, request: SpeechRequest) -> MediaAnswer:
        """Speak `request.text`; the audio bytes as served, with the content type read from their header."""
        what = f"POST {self._route}"
        audio = self._run("", lambda: self._client.text_to_speech(request.text))
        if not audio:
            raise ProviderError("empty", f"{what} answered no audio")
        content_type = next((kind for magic, kind in _AUDIO_MAGIC if audio.startswith(magic)), None)
        if content_type is None:
            raise ProviderError("bad_content", f"{what} did not answer audio (unknown header)")
        if content_type == "audio/wav" and not _whole_wav(audio):
            raise ProviderError("bad_content", f"{what} answered a truncated or broken WAV")
        return MediaAnswer(audio, self.model, content_type)


def _whole_wav(data: bytes) -> bool:
    """True when a RIFF/WAVE body is as long as its header says (0 or 0xFFFFFFFF: streamed, unknown)."""
    if len(data) < 12 or data[8:12] != b"WAVE":
        return False
    declared = int.from_bytes(data[4:8], "little")
    return declared in (0, 0xFFFFFFFF) or len(data) >= declared + 8
