"""Structured output: parse a model's text as JSON that fits a schema, and the one repair prompt."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from tools.models.failures import ProviderError

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def json_schema_for(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema servers are given (Ollama `format`, OpenAI `response_format`)."""
    return schema.model_json_schema()


def parse_structured(text: str | None, schema: type[BaseModel]) -> dict[str, Any]:
    """Validate `text` against `schema` and return it as JSON-native data.

    Raises ProviderError "empty" for no text, and "invalid_output" (with a short reason that is safe to
    show the model in a repair prompt) for text that is not JSON or does not fit.
    """
    if text is None or not text.strip():
        raise ProviderError("empty", "the model returned no text")
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        value = json.loads(body)
    except json.JSONDecodeError as error:
        raise ProviderError(
            "invalid_output", f"the answer is not JSON ({error.msg} at {error.pos})"
        ) from None
    try:
        return schema.model_validate(value).model_dump(mode="json")
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'root'}: {item['msg']}" for item in error.errors()[:5]
        )
        raise ProviderError("invalid_output", f"the JSON does not fit the schema ({problems})") from None


def repair_prompt(problem: str) -> str:
    """The follow-up message for one repair attempt after `problem` (a ProviderError detail)."""
    return (
        f"Your previous answer could not be used: {problem}. "
        "Answer again with only the JSON object, matching the schema exactly."
    )
