"""Keep keys out of logs, error messages and records: a redactor for known secrets and key-shaped strings."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any

# Key shapes of the providers we talk to, redacted even when the key itself was never registered.
_SHAPES = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{8,}"),
    re.compile(r"\bgsk_[A-Za-z0-9]{8,}"),
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._\-]{8,}"),
)
MASK = "[redacted]"

_known: set[str] = set()
_lock = threading.Lock()


def register_secrets(values: Iterable[str | None]) -> None:
    """Add configured keys (API keys, tokens, passwords) to what `redact` removes."""
    with _lock:
        # Very short values would mask ordinary words; a real key is never that short.
        _known.update(value for value in values if value and len(value) >= 6)


def redact(text: str) -> str:
    """`text` with every registered secret and every key-shaped string replaced by [redacted]."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    for shape in _SHAPES:
        text = shape.sub(MASK, text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Plain lists and tuples: a namedtuple cannot be rebuilt from one iterable.
        return (
            [_scrub(item) for item in value] if isinstance(value, list) else tuple(_scrub(i) for i in value)
        )
    if isinstance(value, BaseException):
        return redact(f"{type(value).__name__}: {value}")
    return value


def redact_processor(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor that redacts every string in the event, however deeply nested."""
    for key in list(event):
        event[key] = _scrub(event[key])
    return event
