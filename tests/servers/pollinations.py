"""Pollinations' anonymous API on localhost, as documented in its APIDOCS.md.

Text host: `POST /openai` (OpenAI chat completions, non-streaming), `GET /models` (model objects with name,
aliases and voices) and the text-to-speech GET, `GET /{text}?model=openai-audio&voice=…`, which answers MP3
(`audio/mpeg`, encoded here with PyAV). Image host: `GET /prompt/{prompt}?width=&height=&seed=&model=&nologo=`
answering a JPEG of the asked size, and `GET /models` (a list of names).

Both record what they were sent, so tests can check that no key and no more than the job's words went out.
`garbage = True` makes the media routes answer bytes that are not an image or audio, under the right type.
"""

from __future__ import annotations

import io
import math
import time
from functools import cache
from typing import Any
from urllib.parse import unquote

from PIL import Image, ImageDraw

from tests.servers.harness import ProtocolServer, Request, Response

TEXT_MODELS = ("openai", "mistral", "openai-audio")
VOICES = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
IMAGE_MODELS = ("flux", "turbo")
GARBAGE = b"\xff\xfb\x90\x00" + b"this is not a media file " * 40


def _error(status: int, message: str) -> Response:
    return Response.json({"error": message}, status=status)


@cache
def mp3_tone(seconds: float) -> bytes:
    """A real MP3: a 440 Hz tone with a slow swell, mono 24 kHz, encoded by PyAV (libmp3lame)."""
    import av
    import numpy as np

    rate = 24_000
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.4 * np.sin(2 * math.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * math.pi * 2 * t))).astype(
        np.float32
    )
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("mp3", rate=rate)
        stream.layout = "mono"
        for start in range(0, len(samples), 1152):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1152].reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def jpeg(width: int, height: int, seed: int) -> bytes:
    """A JPEG of the asked size: a gradient with a disc, varied by the seed."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(255 * y / max(1, height - 1))
        draw.line([(0, y), (width, y)], fill=(shade, (seed * 37) % 256, 255 - shade))
    cx, cy, radius = width // 2, height // 2, min(width, height) // 4
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], "white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class _Recording(ProtocolServer):
    def __init__(self) -> None:
        super().__init__()
        self.garbage = False

    def credentials_seen(self) -> list[str]:
        """Every Authorization-like header any request carried."""
        return [
            f"{name}: {value}"
            for request in self.requests
            for name, value in request.headers.items()
            if name.lower() in ("authorization", "openai-organization", "openai-project", "api-key")
        ]


class PollinationsTextServer(_Recording):
    """text.pollinations.ai: chat completions at /openai, /models, and text to speech by GET."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[str] = []
        self.default_reply = "{}"
        self.bodies: list[dict[str, Any]] = []
        self.spoken: list[str] = []

    def register(self) -> None:
        """The documented routes; any other GET path is a prompt (text, or speech with openai-audio)."""
        self.route("POST", "/openai", self._chat)
        self.route("GET", "/models", self._models)
        self.route("GET", "/", self._get_prompt)

    def _chat(self, request: Request, fault: str | None) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "invalid JSON body")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body["messages"]:
            return _error(400, "messages must be a non-empty array")
        if body.get("model", "openai") not in TEXT_MODELS:
            return _error(404, f"model {body.get('model')!r} not found")
        if body.get("stream"):
            return _error(400, "this fake does not stream")
        self.bodies.append(body)
        content = "" if fault == "empty" else (self.replies.pop(0) if self.replies else self.default_reply)
        return Response.json(
            {
                "id": f"pllns-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "gpt-4.1-nano",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
            }
        )

    def _models(self, request: Request, fault: str | None) -> Response:
        if fault == "empty":
            return Response.json([])
        models: list[dict[str, Any]] = [
            {"name": "openai", "aliases": ["gpt-4.1-nano"], "output_modalities": ["text"]},
            {"name": "mistral", "aliases": [], "output_modalities": ["text"]},
            {"name": "openai-audio", "voices": list(VOICES), "output_modalities": ["text", "audio"]},
        ]
        return Response.json(models)

    def _get_prompt(self, request: Request, fault: str | None) -> Response:
        text = unquote(request.path[1:])
        model = request.query.get("model", ["openai"])[0]
        if not text:
            return _error(400, "a prompt is required")
        if model != "openai-audio":
            return Response(f"An answer to: {text}".encode(), "text/plain; charset=utf-8")
        voice = request.query.get("voice", ["alloy"])[0]
        if voice not in VOICES:
            return _error(400, f"voice must be one of {list(VOICES)}")
        self.spoken.append(text)
        if fault == "empty":
            return Response(b"", "audio/mpeg")
        if self.garbage:
            return Response(GARBAGE, "audio/mpeg")
        return Response(mp3_tone(round(max(0.6, 0.06 * len(text)), 1)), "audio/mpeg")


class PollinationsImageServer(_Recording):
    """image.pollinations.ai: a picture per GET /prompt/{prompt}, and /models."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []
        self.params: list[dict[str, str]] = []

    def register(self) -> None:
        """The documented routes."""
        self.route("GET", "/prompt/", self._prompt)
        self.route("GET", "/models", self._models)

    def _prompt(self, request: Request, fault: str | None) -> Response:
        prompt = unquote(request.path.removeprefix("/prompt/"))
        params = {key: values[0] for key, values in request.query.items()}
        try:
            width, height = int(params.get("width", 1024)), int(params.get("height", 1024))
            seed = int(params.get("seed", 42))
        except ValueError:
            return _error(400, "width, height and seed must be integers")
        if not prompt or not (16 <= width <= 2048 and 16 <= height <= 2048):
            return _error(400, "a prompt and a width and height from 16 to 2048 are required")
        if params.get("model", "flux") not in IMAGE_MODELS:
            return _error(400, f"model must be one of {list(IMAGE_MODELS)}")
        self.prompts.append(prompt)
        self.params.append(params)
        if fault == "empty":
            return Response(b"", "image/jpeg")
        if self.garbage:
            return Response(GARBAGE, "image/jpeg")
        return Response(jpeg(width, height, seed), "image/jpeg")

    def _models(self, request: Request, fault: str | None) -> Response:
        return Response.json([] if fault == "empty" else list(IMAGE_MODELS))
