"""A fake of the OpenAI REST API (chat completions, image generation, speech, models) for provider tests."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import struct
import time
import wave
from typing import Any

from PIL import Image

from tests.servers.harness import ProtocolServer, Request, Response

IMAGE_SIZES = ("256x256", "512x512", "1024x1024", "1792x1024", "1024x1792", "1536x1024", "1024x1536", "auto")
ROLES = ("system", "developer", "user", "assistant", "tool")
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")
SAMPLE_RATE = 24000


def _error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> Response:
    """An error in OpenAI's documented shape."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return Response.json(body, status=status)


def png_bytes(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(text: str) -> bytes:
    """A 16-bit mono WAV at 24 kHz: a 440 Hz tone lasting 0.05 s per character of `text`."""
    frames = int(SAMPLE_RATE * 0.05 * max(1, len(text)))
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / SAMPLE_RATE)) for i in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(struct.pack(f"<{frames}h", *samples))
    return buffer.getvalue()


def _messages_problem(messages: list[Any]) -> Response | None:
    """A 400 like OpenAI's for a message without a role or content, or a tool result answering no call.

    An assistant message that makes tool calls may leave its content out or null."""
    called: set[str] = set()
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return _error(400, f"messages[{i}] needs a valid role and content", param=f"messages[{i}]")
        calls = message.get("tool_calls") if message["role"] == "assistant" else None
        if "content" not in message and not calls:
            return _error(400, f"messages[{i}] needs a valid role and content", param=f"messages[{i}]")
        for call in calls or []:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
                return _error(400, f"messages[{i}].tool_calls need a function with arguments as a string")
            called.add(str(call.get("id")))
        if message["role"] == "tool" and message.get("tool_call_id") not in called:
            return _error(
                400,
                "Invalid parameter: messages with role 'tool' must be a response to a preceding message "
                "with 'tool_calls'.",
                param=f"messages.[{i}].role",
            )
    return None


def _tools_problem(body: dict[str, Any]) -> Response | None:
    """A 400 like OpenAI's for a tools array that is empty or holds anything but named function tools."""
    if "tools" not in body:
        return None
    tools = body["tools"]
    if not isinstance(tools, list) or not tools:
        return _error(400, "[] is too short - 'tools'", param="tools")
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            return _error(400, f"tools[{i}] must be a function tool", param=f"tools[{i}]")
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(function.get("name", ""))):
            return _error(400, f"tools[{i}].function.name is invalid", param=f"tools[{i}].function.name")
    return None


def _tool_call(call: dict[str, Any], made_up_id: str) -> dict[str, Any]:
    """A scripted tool call on OpenAI's wire: arguments as JSON text (a string is sent as it is)."""
    arguments = call.get("arguments", {})
    return {
        "id": call.get("id") or made_up_id,
        "type": "function",
        "function": {
            "name": call["name"],
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


class OpenAIServer(ProtocolServer):
    """Speaks the documented OpenAI API under /v1, non-streaming, with an optional bearer key.

    Chat answers come from `replies` (a queue) and then `default_reply`; each answer reports `usage`. A reply
    is the answer's text, or a scripted tool call as a dict:
    `{"tool_calls": [{"name": "make_video", "arguments": {"topic": "coffee"}, "id": "call_1"}]}` (an id
    is made up when none is given; arguments given as a string are sent as is, even when not JSON), answered
    as OpenAI does: `message.tool_calls[]` of type "function" with the arguments as JSON text, and
    finish_reason "tool_calls". Every valid chat body is kept in `chats`.
    Images are solid `image_color` PNGs, recorded in `served_images`. Speech is a WAV tone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        """Back to the defaults, keeping the port: lets one server serve a whole test module."""
        self.heal()
        self.requests.clear()
        self.models: list[str] = ["test-chat", "test-image", "test-speech"]
        self.api_key: str | None = None
        self.replies: list[str | dict[str, Any]] = []
        self.chats: list[dict[str, Any]] = []
        self.default_reply = "{}"
        self.usage = {"prompt_tokens": 11, "completion_tokens": 5}
        self.finish_reason = "stop"
        self.response_formats: list[Any] = []
        self.image_color: tuple[int, int, int] = (200, 80, 40)
        self.served_images: list[bytes] = []
        self.image_urls = (
            False  # answer URLs (under /files/) even when asked for b64_json, as some servers do
        )
        self._files: dict[str, bytes] = {}

    def register(self) -> None:
        """The documented routes, plus /files/ where answered image URLs point."""
        self.route("POST", "/v1/chat/completions", self._chat)
        self.route("POST", "/v1/images/generations", self._images)
        self.route("POST", "/v1/audio/speech", self._speech)
        self.route("GET", "/v1/models", self._models)
        self.route("GET", "/files/", self._file)

    def _refused(self, request: Request) -> Response | None:
        """A 401 like OpenAI's when a key is required and this one is wrong (echoing it, as leaks go)."""
        if self.api_key is None:
            return None
        header = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        if header == f"Bearer {self.api_key}":
            return None
        given = header.removeprefix("Bearer ")
        return _error(401, f"Incorrect API key provided: {given}.", code="invalid_api_key")

    def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.")
        return body

    def _model(self, body: dict[str, Any], *, required: bool = True) -> Response | None:
        model = body.get("model")
        if model is None and not required:
            return None
        if not isinstance(model, str):
            return _error(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            return _error(404, f"The model `{model}` does not exist.", code="model_not_found")
        return None

    def _chat(self, request: Request, fault: str | None) -> Response:
        if refused := self._refused(request):
            return refused
        body = self._body(request)
        if isinstance(body, Response):
            return body
        if problem := self._model(body):
            return problem
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty array", param="messages")
        if problem := _messages_problem(messages) or _tools_problem(body):
            return problem
        if body.get("stream"):
            return _error(400, "this fake does not stream", param="stream")
        self.chats.append(body)
        self.response_formats.append(body.get("response_format"))
        reply = "" if fault == "empty" else (self.replies.pop(0) if self.replies else self.default_reply)
        answer: dict[str, Any] = {"role": "assistant", "content": reply, "refusal": None}
        finish_reason = self.finish_reason
        if isinstance(reply, dict):
            calls = [
                _tool_call(call, f"call_{len(self.chats)}_{n}") for n, call in enumerate(reply["tool_calls"])
            ]
            answer = {
                "role": "assistant",
                "content": reply.get("content"),
                "refusal": None,
                "tool_calls": calls,
            }
            finish_reason = "tool_calls"
        usage = dict(self.usage, total_tokens=sum(self.usage.values()))
        return Response.json(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": answer,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": usage,
            }
        )

    def _images(self, request: Request, fault: str | None) -> Response:
        if refused := self._refused(request):
            return refused
        body = self._body(request)
        if isinstance(body, Response):
            return body
        if problem := self._model(body, required=False):
            return problem
        prompt, size, n = body.get("prompt"), body.get("size", "1024x1024"), body.get("n", 1)
        response_format = body.get("response_format", "url")
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, "prompt must be a non-empty string", param="prompt")
        if size not in IMAGE_SIZES:
            return _error(400, f"'{size}' is not one of {list(IMAGE_SIZES)} - 'size'", param="size")
        if not isinstance(n, int) or not 1 <= n <= 10:
            return _error(400, "n must be an integer from 1 to 10", param="n")
        if response_format not in ("url", "b64_json"):
            return _error(400, "response_format must be 'url' or 'b64_json'", param="response_format")
        width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        data: list[dict[str, str]] = []
        for _ in range(0 if fault == "empty" else n):
            image = png_bytes(width, height, self.image_color)
            self.served_images.append(image)
            if response_format == "b64_json" and not self.image_urls:
                data.append({"b64_json": base64.b64encode(image).decode(), "revised_prompt": prompt})
            else:
                name = f"img-{len(self._files)}.png"
                self._files[name] = image
                data.append({"url": f"{self.url}/files/{name}", "revised_prompt": prompt})
        return Response.json({"created": int(time.time()), "data": data})

    def _file(self, request: Request, fault: str | None) -> Response:
        image = self._files.get(request.path.removeprefix("/files/"))
        if image is None:
            return _error(404, "no such file")
        return Response(b"" if fault == "empty" else image, "image/png")

    def _speech(self, request: Request, fault: str | None) -> Response:
        if refused := self._refused(request):
            return refused
        body = self._body(request)
        if isinstance(body, Response):
            return body
        if problem := self._model(body):
            return problem
        text, voice = body.get("input"), body.get("voice")
        if not isinstance(text, str) or not text.strip() or len(text) > 4096:
            return _error(400, "input must be a string of 1 to 4096 characters", param="input")
        if voice not in VOICES:
            return _error(400, f"voice must be one of {list(VOICES)}", param="voice")
        response_format = body.get("response_format", "mp3")
        if response_format not in ("wav", "pcm"):
            return _error(400, f"this fake speaks wav or pcm, not {response_format}", param="response_format")
        audio = wav_bytes(text)
        if response_format == "pcm":
            return Response(b"" if fault == "empty" else audio[44:], "audio/pcm")
        return Response(b"" if fault == "empty" else audio, "audio/wav")

    def _models(self, request: Request, fault: str | None) -> Response:
        if refused := self._refused(request):
            return refused
        ids = [] if fault == "empty" else self.models
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in ids]
        return Response.json({"object": "list", "data": data})
