"""A fake Hugging Face Inference API: the routes InferenceClient calls for a model URL, and the Hub whoami.

`InferenceClient(base_url=f"{url}/models/{model}")` sends:

- chat completion to `POST /models/{model}/v1/chat/completions` (OpenAI-style body; a `json_schema`
  response format arrives rewritten as TGI's `{"type": "json_object", "value": schema}`);
- text-to-image and text-to-speech to `POST /models/{model}` with `{"inputs": ..., "parameters": {...}}`;

and `GET /api/whoami-v2` is what the Hub answers about a token. Which task a model route runs depends on the
model, as on the real API: see `HFServer.models`.
"""

from __future__ import annotations

import io
import math
import struct
import time
import wave
from collections import deque
from typing import Any

from PIL import Image

from tests.servers.harness import ProtocolServer, Request, Response

CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
IMAGE_MODEL = "black-forest-labs/FLUX.1-schnell"
SPEECH_MODEL = "facebook/mms-tts-eng"
TOKEN = "hf_fakeTokenForTests0123456789"

_CHAT_SUFFIX = "/v1/chat/completions"
_SAMPLE_RATE = 16_000


def _header(request: Request, name: str) -> str:
    return next((v for k, v in request.headers.items() if k.lower() == name), "")


def png_bytes(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float) -> bytes:
    """A mono 16-bit WAV of a quiet 440 Hz tone lasting `seconds`."""
    frames = max(1, int(seconds * _SAMPLE_RATE))
    samples = (int(3000 * math.sin(2 * math.pi * 440 * i / _SAMPLE_RATE)) for i in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_SAMPLE_RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


class HFServer(ProtocolServer):
    """The Inference API routes for chat, text-to-image and text-to-speech, and the Hub's whoami."""

    def __init__(self, token: str | None = TOKEN) -> None:
        super().__init__()
        self.default_token = token
        self.reset()

    def reset(self) -> None:
        """Forget requests, replies and faults, and restore the defaults (for a server shared by tests)."""
        self.heal()
        self.requests.clear()
        self.token: str | None = self.default_token
        # Model id -> the task its route runs; anything else answers 404 like the real API.
        self.models: dict[str, str] = {
            CHAT_MODEL: "conversational",
            IMAGE_MODEL: "text-to-image",
            SPEECH_MODEL: "text-to-speech",
        }
        self.replies: deque[str] = deque()
        self.default_reply = '{"ok": true}'
        self.image_color: tuple[int, int, int] = (200, 40, 120)
        self.served_images: list[bytes] = []
        self.response_formats: list[Any] = []
        self.usages: list[dict[str, int]] = []

    def register(self) -> None:
        """Serve the model routes and whoami."""
        self.route("POST", "/models/", self._model_route)
        self.route("GET", "/api/whoami-v2", self._whoami)

    def _authorised(self, request: Request) -> bool:
        return self.token is None or _header(request, "authorization") == f"Bearer {self.token}"

    def _model_route(self, request: Request, fault: str | None) -> Response:
        if not self._authorised(request):
            return Response.json({"error": "Invalid credentials in Authorization header"}, status=401)
        path = request.path.removeprefix("/models/")
        chat = path.endswith(_CHAT_SUFFIX)
        model = path.removesuffix(_CHAT_SUFFIX) if chat else path
        task = self.models.get(model)
        if task is None:
            return Response.json({"error": f"Model {model} does not exist"}, status=404)
        if chat != (task == "conversational"):
            return Response.json({"error": f"Model {model} is not a {task} model"}, status=400)
        if chat:
            return self._chat(request, fault)
        if task == "text-to-image":
            return self._image(request, fault)
        return self._speech(request, fault)

    def _chat(self, request: Request, fault: str | None) -> Response:
        body = request.json()
        self.response_formats.append(body.get("response_format"))
        content = "" if fault == "empty" else (self.replies.popleft() if self.replies else self.default_reply)
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        usage = {
            "prompt_tokens": prompt_words,
            "completion_tokens": len(content.split()),
            "total_tokens": prompt_words + len(content.split()),
        }
        self.usages.append(usage)
        return Response.json(
            {
                "id": f"chatcmpl-{len(self.usages)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", ""),
                "system_fingerprint": "fake-tgi",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    def _image(self, request: Request, fault: str | None) -> Response:
        if fault == "empty":
            return Response(b"", "image/png")
        parameters = request.json().get("parameters") or {}
        data = png_bytes(
            int(parameters.get("width", 64)), int(parameters.get("height", 64)), self.image_color
        )
        self.served_images.append(data)
        return Response(data, "image/png")

    def _speech(self, request: Request, fault: str | None) -> Response:
        if fault == "empty":
            return Response(b"", "audio/wav")
        text = str(request.json().get("inputs", ""))
        return Response(wav_bytes(0.05 * len(text)), "audio/wav")

    def _whoami(self, request: Request, fault: str | None) -> Response:
        bearer = _header(request, "authorization")
        if not bearer.startswith("Bearer ") or not self._authorised(request):
            return Response.json({"error": "Invalid credentials in Authorization header"}, status=401)
        return Response.json(
            {
                "type": "user",
                "id": "0123456789abcdef",
                "name": "tester",
                "fullname": "Test User",
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "reelforge-tests", "role": "read"},
                },
            }
        )
