"""Tool calls as the chat providers answer them, checked and turned into the router's ToolCall shape."""

from __future__ import annotations

import json
import uuid
from typing import Any

from state.model_calls import ToolCall
from tools.models.failures import ProviderError


def tool_call(call_id: Any, name: Any, arguments: Any, what: str) -> ToolCall:
    """One checked tool call; "malformed" when the name is missing or the arguments are not a JSON object.

    `arguments` is JSON text (OpenAI's wire format) or an object already (Ollama's, some TGI servers').
    A call without an id (Ollama sends none) gets a fresh one, so the tool's result can answer it.
    """
    if not isinstance(name, str) or not name:
        raise ProviderError("malformed", f"{what} answered a tool call without a function name")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as error:
            raise ProviderError(
                "malformed", f"{what} answered arguments for {name} that are not JSON ({error.msg})"
            ) from None
    if not isinstance(arguments, dict):
        raise ProviderError("malformed", f"{what} answered arguments for {name} that are not a JSON object")
    given = call_id if isinstance(call_id, str) and call_id else f"call_{uuid.uuid4().hex[:24]}"
    return {"id": given, "name": name, "arguments": arguments}


def arguments_object(arguments: Any) -> dict[str, Any]:
    """A history message's tool-call arguments as an object (OpenAI's format keeps them as JSON text)."""
    if isinstance(arguments, dict):
        return arguments
    value = json.loads(arguments) if isinstance(arguments, str) and arguments.strip() else {}
    if not isinstance(value, dict):
        raise ValueError("tool-call arguments in the history must be a JSON object")
    return value


def message_text(content: Any) -> str:
    """A message's content as plain text: OpenAI allows a list of parts, of which the text ones count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return str(content)
