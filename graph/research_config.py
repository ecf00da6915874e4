"""The [research] table of reelforge.toml, with WIKIPEDIA_URL and REELFORGE_RESEARCH over it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from state.research import ResearchSettings
from tools.errors import BadInput

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")


def research_settings(document: Mapping[str, Any], where: str, env: Mapping[str, str]) -> ResearchSettings:
    """Defaults, overlaid by the file's [research] table, overlaid by `env`; BadInput names a bad value."""
    table = document.get("research", {})
    if not isinstance(table, dict):
        raise BadInput(f"{where}: research must be a table such as [research], not {type(table).__name__}")
    fields: dict[str, Any] = dict(table)
    if url := env.get("WIKIPEDIA_URL", "").strip():
        fields["wikipedia_url"] = url
    if switch := env.get("REELFORGE_RESEARCH", "").strip().lower():
        if switch not in _OFF + _ON:
            raise BadInput(f"REELFORGE_RESEARCH={switch!r} must be on or off; fix it or unset it")
        fields["wikipedia"] = switch in _ON
    try:
        return ResearchSettings(**fields)
    except ValidationError as error:
        item = error.errors()[0]
        key = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if key == "wikipedia_url" and "WIKIPEDIA_URL" in env:
            raise BadInput(f"WIKIPEDIA_URL: {message}; fix it or unset it") from None
        raise BadInput(f"{where}: [research] {key}: {message}; fix it in that file") from None
