"""The self-hosted text provider: an Ollama server reached through LangChain's ChatOllama."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import ollama
import pydantic
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_ollama import ChatOllama

from tools.models.base import (
    Capability,
    ChatAnswer,
    ChatRequest,
    HealthResult,
    TextAnswer,
    TextRequest,
    Tier,
)
from tools.models.failures import ProviderError
from tools.models.http_failures import failure_for_status
from tools.models.structured import json_schema_for, parse_structured, repair_prompt
from tools.models.tool_calls import arguments_object, message_text, tool_call

_CHAT = "POST /api/chat"
_TAGS = "GET /api/tags"
_MAX_DETAIL = 200
# Some thinking models put their reasoning in the content even with think=false.
_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL)


def canonical_model(name: str) -> str:
    """Ollama's name for a model: lower case, with ':latest' when no tag is given."""
    name = name.strip().lower()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class OllamaText:
    """Answer TextRequests with one Ollama model, asking for JSON that fits the request's schema."""

    name = "ollama"
    tier: Tier = "self-hosted"
    capability: Capability = "text"
    chats = True

    def __init__(
        self, url: str, model: str, timeout_s: float = 60.0, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.endpoint = url
        self.model = model
        self.timeout_s = timeout_s
        # Closing a client closes its transport, so the health-check client lives as long as the provider.
        self._http = httpx.Client(timeout=timeout_s, transport=transport)
        self._where = _redacted(url)
        # One client for every call: it keeps the connection pool. The transport goes to the sync client
        # only, because the async one would need an AsyncBaseTransport and is never used here.
        self._chat = ChatOllama(
            model=model,
            base_url=url,
            client_kwargs={"timeout": timeout_s},
            sync_client_kwargs={"transport": transport} if transport is not None else {},
            # Never stream through callbacks: a LangGraph "messages" stream must not see provider JSON.
            disable_streaming=True,
            # Thinking models (qwen3) would otherwise put <think>…</think> before the JSON.
            reasoning=False,
        )

    def close(self) -> None:
        """Close the pooled connections (and with them an injected transport, as httpx does)."""
        self._http.close()
        # ChatOllama has no public close; its sync ollama.Client does, but ollama leaves it unannotated.
        self._chat._client.close()  # type: ignore[no-untyped-call]

    def __enter__(self) -> OllamaText:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, request: TextRequest) -> TextAnswer:
        """Ask once, repair once if the JSON does not fit, and return the validated object."""
        schema = json_schema_for(request.schema)
        messages: list[BaseMessage] = [SystemMessage(request.system), HumanMessage(request.prompt)]
        tokens_in = tokens_out = 0
        for attempt in range(2):
            content, used_in, used_out, stop_reason = self._ask(messages, schema, request)
            tokens_in += used_in
            tokens_out += used_out
            try:
                data = parse_structured(_THINK.sub("", content, count=1), request.schema)
            except ProviderError as error:
                if error.kind != "invalid_output":
                    raise
                if stop_reason == "length":
                    error = ProviderError(
                        "invalid_output",
                        f"{error.detail}; the answer stopped at the {request.max_tokens}-token limit",
                    )
                if attempt == 1:
                    raise error from None
                messages += [AIMessage(content), HumanMessage(repair_prompt(error.detail))]
                continue
            return TextAnswer(data, self.model, tokens_in, tokens_out)
        raise AssertionError("unreachable: the loop returns or raises")

    def chat(self, request: ChatRequest) -> ChatAnswer:
        """One tool-calling turn through the Ollama client ChatOllama wraps (POST /api/chat with `tools`)."""
        try:
            reply = self._chat._client.chat(
                self.model,
                messages=ollama_messages(request.messages),
                tools=request.tools or None,
                stream=False,
                think=False,
                options={"temperature": request.temperature, "num_predict": request.max_tokens},
            )
            calls = [
                tool_call(None, call.function.name, call.function.arguments, _CHAT)
                for call in reply.message.tool_calls or []
            ]
        except Exception as error:
            failure = self._failure(error, _CHAT)
            if failure is None:
                raise
            raise failure from error
        content = _THINK.sub("", reply.message.content or "", count=1)
        return ChatAnswer(
            content, self.model, calls, int(reply.prompt_eval_count or 0), int(reply.eval_count or 0)
        )

    def _ask(
        self, messages: list[BaseMessage], schema: dict[str, Any], request: TextRequest
    ) -> tuple[str, int, int, str]:
        """One /api/chat round trip: the content, tokens in and out, and why generation stopped."""
        try:
            reply = self._chat.invoke(
                messages,
                stream=False,
                format=schema,
                options={"temperature": request.temperature, "num_predict": request.max_tokens},
            )
        except Exception as error:
            failure = self._failure(error, _CHAT)
            if failure is None:
                raise
            raise failure from error
        content = reply.content
        if not isinstance(content, str):
            raise ProviderError("malformed", f"{_CHAT} answered content of type {type(content).__name__}")
        usage = reply.usage_metadata if isinstance(reply, AIMessage) else None
        used_in = usage["input_tokens"] if usage else 0
        used_out = usage["output_tokens"] if usage else 0
        return content, used_in, used_out, str(reply.response_metadata.get("done_reason") or "")

    def _failure(self, error: BaseException, what: str) -> ProviderError | None:
        """The ProviderError for what the Ollama client or httpx raised; None for anything else."""
        if isinstance(error, ProviderError):
            return error
        status_error = _status_error(error)
        if isinstance(error, ollama.ResponseError):
            return self._response_failure(error.error, error.status_code, status_error, what)
        if status_error is not None:
            # ResponseError itself failed on an odd error body (e.g. JSON that is not an object).
            response = status_error.response
            return failure_for_status(response.status_code, response.headers, what)
        if isinstance(error, httpx.TimeoutException):
            return ProviderError(
                "timeout", f"Ollama at {self._where} did not answer {what} within {self.timeout_s:g} s"
            )
        if isinstance(error, httpx.TransportError | ConnectionError):
            cause = error.__context__ if isinstance(error.__context__, httpx.TransportError) else error
            return ProviderError(
                "refused",
                f"Ollama at {self._where} could not be reached ({type(cause).__name__}); "
                "check the URL or run 'ollama serve'",
            )
        if isinstance(error, json.JSONDecodeError):
            return ProviderError("malformed", f"{what} answered something that is not JSON ({error.msg})")
        if isinstance(error, pydantic.ValidationError | TypeError):
            return ProviderError("malformed", f"{what} answered JSON that is not a chat response")
        return None

    def _response_failure(
        self, message: str, status: int, status_error: httpx.HTTPStatusError | None, what: str
    ) -> ProviderError:
        """Map an ollama.ResponseError: its status, or -1 for an error line inside a stream."""
        said = _one_line(str(message))
        if status == 404 and "not found" in said.lower() and "model" in said.lower():
            return ProviderError(
                "bad_request", f"model {self.model} is not pulled; run 'ollama pull {self.model}'"
            )
        if status == -1:
            return ProviderError("server_error", f"{what} failed while answering: {said}")
        headers = status_error.response.headers if status_error is not None else httpx.Headers()
        failure = failure_for_status(status, headers, what)
        return ProviderError(failure.kind, f"{failure.detail}: {said}", retry_after_s=failure.retry_after_s)

    def check(self) -> HealthResult:
        """GET /api/tags: healthy when the server answers and lists the configured model."""
        started = time.monotonic()

        def result(healthy: bool, models: list[str] | None = None, error: str = "") -> HealthResult:
            elapsed = (time.monotonic() - started) * 1000
            return HealthResult(healthy, round(elapsed, 1), models or [], error)

        try:
            response = self._http.get(self.endpoint.rstrip("/") + "/api/tags")
        except Exception as error:  # a health check reports; it never raises
            failure = self._failure(error, _TAGS)
            return result(
                False, error=failure.detail if failure else f"{_TAGS} failed ({type(error).__name__})"
            )
        if not response.is_success:
            return result(
                False, error=failure_for_status(response.status_code, response.headers, _TAGS).detail
            )
        listed = _listed_models(response)
        if listed is None:
            return result(False, error=f"{_TAGS} did not answer a JSON list of models")
        names, canonical = listed
        if canonical_model(self.model) not in canonical:
            return result(False, names, f"model {self.model} is not pulled; run 'ollama pull {self.model}'")
        return result(True, names)


def ollama_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-format chat messages in Ollama's shape: tool-call arguments as objects, and each tool result
    naming its tool (`tool_name`, found from the assistant call its `tool_call_id` answers)."""
    names: dict[str, str] = {}
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = "system" if message["role"] == "developer" else message["role"]
        text = message_text(message.get("content"))
        if role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                function = call["function"]
                names[str(call.get("id", ""))] = function["name"]
                arguments = arguments_object(function.get("arguments"))
                calls.append({"function": {"name": function["name"], "arguments": arguments}})
            converted.append({"role": role, "content": text, "tool_calls": calls})
        elif role == "tool":
            name = message.get("name") or names.get(str(message.get("tool_call_id", "")), "")
            converted.append({"role": role, "content": text, "tool_name": name})
        else:
            converted.append({"role": role, "content": text})
    return converted


def _listed_models(response: httpx.Response) -> tuple[list[str], set[str]] | None:
    """The names /api/tags listed, and every "name" or "model" in canonical form; None for a bad body."""
    try:
        body = response.json()
    except ValueError:
        return None
    entries = body.get("models") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        return None
    names: list[str] = []
    canonical: set[str] = set()
    for entry in entries:
        given = [
            value for value in (entry.get("name"), entry.get("model")) if isinstance(value, str) and value
        ]
        if given:
            names.append(given[0])
            canonical.update(canonical_model(value) for value in given)
    return sorted(names), canonical


def _status_error(error: BaseException) -> httpx.HTTPStatusError | None:
    """The HTTPStatusError the Ollama client raised from, even with `from None` (it stays the context)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, httpx.HTTPStatusError):
            return seen
        seen = seen.__context__
    return None


def _one_line(text: str) -> str:
    """Collapse whitespace and cut to a short length, so a server's error fits in one detail line."""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _redacted(url: str) -> str:
    """`url` without user:password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url.rstrip("/")
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=host)).rstrip("/")
