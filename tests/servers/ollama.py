"""A fake Ollama server speaking the documented REST API: /api/chat, /api/tags, /api/version, /api/show."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from tests.servers.harness import ProtocolServer, Request, Response

_CREATED_AT = "2026-01-01T00:00:00.000000Z"
_ROLES = {"system", "user", "assistant", "tool"}
_SCHEMA_KEYS = {"type", "properties", "$ref", "$defs", "anyOf", "oneOf", "allOf", "enum"}


def canonical_model(name: str) -> str:
    """Ollama's name for a model: lower case, ':latest' when no tag is given."""
    name = name.strip().lower()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _words(text: str) -> int:
    return len(text.split())


class OllamaServer(ProtocolServer):
    """Ollama on localhost: answers chats from `replies` (a queue), then `default_reply` forever.

    A reply is the answer's text, or a scripted tool call as a dict:
    `{"tool_calls": [{"name": "make_video", "arguments": {"topic": "coffee"}}], "content": ""}`, sent the
    way Ollama sends one (`message.tool_calls[].function` with the arguments as an object; Ollama gives
    calls no id). Arguments given as a string are sent as that string, which real clients must refuse.
    Every valid chat body is kept in `chats`, and its `format` (None when absent) in `formats`.
    A scripted model is `respond`: called with each chat body once the queue is empty, its reply is sent
    instead of `default_reply` (e.g. a script twice as long as the prompt asks for).
    """

    def __init__(
        self,
        pulled_models: list[str] | None = None,
        default_reply: str = '{"ok": true}',
        version: str = "0.12.6",
        respond: Callable[[dict[str, Any]], str | dict[str, Any]] | None = None,
    ) -> None:
        self.pulled_models: list[str] = list(pulled_models if pulled_models is not None else ["qwen3:8b"])
        self.default_reply = default_reply
        self.respond = respond
        self.replies: list[str | dict[str, Any]] = []
        self.version = version
        self.chats: list[dict[str, Any]] = []
        self.formats: list[Any] = []
        self._replies_lock = threading.Lock()
        super().__init__()

    def register(self) -> None:
        """Serve the routes the Python client and ChatOllama use."""
        self.route("POST", "/api/chat", self._chat)
        self.route("GET", "/api/tags", self._tags)
        self.route("GET", "/api/version", self._version)
        self.route("POST", "/api/show", self._show)

    def _pulled(self, model: str) -> bool:
        return canonical_model(model) in {canonical_model(m) for m in self.pulled_models}

    def _next_reply(self, body: dict[str, Any]) -> str | dict[str, Any]:
        with self._replies_lock:
            if self.replies:
                return self.replies.pop(0)
        return self.respond(body) if self.respond is not None else self.default_reply

    def _chat(self, request: Request, fault: str | None) -> Response:
        try:
            body = request.json()
        except json.JSONDecodeError:
            return _error(400, "invalid JSON body")
        problem = _chat_problem(body)
        if problem:
            return _error(400, problem)
        model = body["model"]
        if not self._pulled(model):
            return _error(404, f"model '{model}' not found")
        self.chats.append(body)
        self.formats.append(body.get("format"))

        reply = "" if fault == "empty" else self._next_reply(body)
        content = reply if isinstance(reply, str) else str(reply.get("content") or "")
        calls = [] if isinstance(reply, str) else _tool_calls(reply)
        answer: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            answer["tool_calls"] = calls
        prompt_tokens = sum(_words(m.get("content") or "") for m in body["messages"])
        final = {
            "model": model,
            "created_at": _CREATED_AT,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "load_duration": 1_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 1_000,
            "eval_count": _words(content) + sum(_words(json.dumps(call)) for call in calls),
            "eval_duration": 1_000,
        }
        # Ollama streams unless the body says "stream": false.
        if body.get("stream", True) is False:
            return Response.json({**final, "message": answer})
        chunks = [
            json.dumps(
                {
                    "model": model,
                    "created_at": _CREATED_AT,
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
            ).encode()
            + b"\n"
            for piece in re.findall(r"\S+\s*|\s+", content)
        ]
        if calls:
            # Ollama streams tool calls whole, in one chunk of their own before the final one.
            call_chunk = {
                "model": model,
                "created_at": _CREATED_AT,
                "message": {"role": "assistant", "content": "", "tool_calls": calls},
                "done": False,
            }
            chunks.append(json.dumps(call_chunk).encode() + b"\n")
        chunks.append(json.dumps({**final, "message": {"role": "assistant", "content": ""}}).encode() + b"\n")
        return Response(b"", "application/x-ndjson", chunks=chunks)

    def _tags(self, request: Request, fault: str | None) -> Response:
        names = [] if fault == "empty" else self.pulled_models
        return Response.json({"models": [_model_entry(name) for name in names]})

    def _version(self, request: Request, fault: str | None) -> Response:
        return Response.json({"version": "" if fault == "empty" else self.version})

    def _show(self, request: Request, fault: str | None) -> Response:
        try:
            body = request.json()
        except json.JSONDecodeError:
            return _error(400, "invalid JSON body")
        # "name" is the older spelling of "model".
        model = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        if not isinstance(model, str) or not model:
            return _error(400, "model is required")
        if not self._pulled(model):
            return _error(404, f"model '{model}' not found")
        if fault == "empty":
            return Response.json({})
        return Response.json(
            {
                "modelfile": f"FROM {model}\n",
                "parameters": "temperature 0.6",
                "template": "{{ .Prompt }}",
                "details": _model_entry(model)["details"],
                "model_info": {"general.architecture": "qwen3"},
                "capabilities": ["completion", "tools", "thinking"],
            }
        )


def _tool_calls(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """A scripted reply's tool calls on Ollama's wire: `{"function": {"name", "arguments"}}` each."""
    return [
        {"function": {"name": call["name"], "arguments": call.get("arguments", {})}}
        for call in reply.get("tool_calls", [])
    ]


def _error(status: int, message: str) -> Response:
    return Response.json({"error": message}, status=status)


def _model_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": _CREATED_AT,
        "size": 5_225_388_164,
        "digest": "500a1f067a9f782620b40bee6f7b0c89e17ae61f686b92c24933e4ca4b2b8b41",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "qwen3",
            "families": ["qwen3"],
            "parameter_size": "8.2B",
            "quantization_level": "Q4_K_M",
        },
    }


def _chat_problem(body: Any) -> str:
    """Why `body` is not a chat request as Ollama documents it ("" when it is one)."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model is required"
    messages = body.get("messages")
    if not isinstance(messages, list):
        return "messages must be a list"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return f"messages[{index}] needs a role of {sorted(_ROLES)}"
        if not isinstance(message.get("content", ""), str):
            return f"messages[{index}].content must be a string"
        if not isinstance(message.get("images", []), list):
            return f"messages[{index}].images must be a list"
        if problem := _message_tools_problem(message, index):
            return problem
    if "format" in body:
        fmt = body["format"]
        is_schema = isinstance(fmt, dict) and bool(_SCHEMA_KEYS & fmt.keys())
        if fmt != "json" and not is_schema:
            return 'format must be "json" or a JSON schema object'
    for key, kind in (("stream", bool), ("options", dict), ("tools", list)):
        if key in body and not isinstance(body[key], kind):
            return f"{key} must be a {kind.__name__}"
    if "think" in body and not isinstance(body["think"], bool | str):
        return "think must be a boolean or a level"
    for index, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            return f"tools[{index}] must be a function tool"
        function = tool.get("function")
        if not isinstance(function, dict):
            return f"tools[{index}] must be a function tool"
        if not isinstance(function.get("name"), str) or not function["name"]:
            return f"tools[{index}].function.name is required"
        if not isinstance(function.get("parameters", {}), dict):
            return f"tools[{index}].function.parameters must be a JSON schema object"
    return ""


def _message_tools_problem(message: dict[str, Any], index: int) -> str:
    """Why an assistant's tool calls or a tool result in the history are not Ollama's shape ("" if fine)."""
    calls = message.get("tool_calls", [])
    if not isinstance(calls, list):
        return f"messages[{index}].tool_calls must be a list"
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return f"messages[{index}].tool_calls needs function.name"
        if not isinstance(function.get("arguments", {}), dict):
            return f"messages[{index}].tool_calls[].function.arguments must be an object"
    if not isinstance(message.get("tool_name", ""), str):
        return f"messages[{index}].tool_name must be a string"
    return ""


# What a small model says about bees, sentence by sentence: 6 to 14 words each.
_OVERLONG_SENTENCES = (
    "Honey bees visit thousands of flowers every single day to gather sweet nectar.",
    "Each worker carries the nectar home in a special stomach called the crop.",
    "Back at the hive, the nectar passes from bee to bee.",
    "Enzymes slowly break the complex sugars into simple ones.",
    "Workers fan their wings for hours to drive the water away.",
    "When the honey is thick enough, they seal each cell with wax.",
    "A strong colony can store twenty kilograms of honey in one summer.",
    "Beekeepers take only the surplus and leave the rest for winter.",
    "The colour of honey depends on the flowers the bees visited.",
    "Clover honey is pale and mild.",
    "Buckwheat honey is dark, strong and rich in minerals.",
    "A single bee makes about a twelfth of a teaspoon in her life.",
)
_OVERLONG_HOOK = "Ever wondered how bees make honey?"
_OVERLONG_CTA = "Follow for more nature facts."


def writes_too_much(factor: float = 2.0) -> Callable[[dict[str, Any]], str]:
    """A scripted model for `OllamaServer(respond=...)` that always writes `factor` times the words its
    prompt allows ("at most N words of narration in total"), in the scenes the prompt asks for, as a
    ScriptDraft JSON: every draft and every revision."""

    def respond(body: dict[str, Any]) -> str:
        prompt = "\n".join(str(m.get("content") or "") for m in body["messages"] if m.get("role") == "user")
        allowed = re.search(r"at most (\d+) words of narration in total", prompt)
        scenes = re.search(r"Write (\d+) scenes", prompt)
        count = int(scenes.group(1)) if scenes else max(1, len(re.findall(r"^- scene \d+:", prompt, re.M)))
        target = factor * (int(allowed.group(1)) if allowed else 60)
        pool = iter(_OVERLONG_SENTENCES * 100)
        drafts: list[dict[str, Any]] = []
        written = 0
        for index in range(count):
            sentences = [_OVERLONG_HOOK] if index == 0 else []
            sentences.append(next(pool))
            # Each scene brings the script up to its share of the target, so the total is about `target`.
            while written + _words(" ".join(sentences)) < target * (index + 1) / count:
                sentences.append(next(pool))
            written += _words(" ".join(sentences))
            if index == count - 1:
                sentences.append(_OVERLONG_CTA)
            drafts.append(
                {
                    "narration": " ".join(sentences),
                    "on_screen_text": f"Honey, step {index + 1}",
                    "visual": "bees on a honeycomb",
                    "sources": [],
                }
            )
        return json.dumps(
            {
                "title": "How bees make honey",
                "hook": _OVERLONG_HOOK,
                "scenes": drafts,
                "call_to_action": _OVERLONG_CTA,
                "description": "How bees turn nectar into honey.",
                "tags": ["bees", "honey"],
            }
        )

    return respond
