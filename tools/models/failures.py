"""Why a provider failed, in a closed set of kinds, and the one error that lists every provider's reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tools.errors import ReelforgeError

FailureKind = Literal[
    "refused",  # nothing listening, DNS failure, connection reset before an answer
    "timeout",  # connect or read timed out
    "server_error",  # HTTP 5xx
    "rate_limited",  # HTTP 429 (retry_after_s set from Retry-After when the server sent it)
    "auth",  # HTTP 401/403: a missing or wrong key
    "bad_request",  # other HTTP 4xx, e.g. an unknown model
    "malformed",  # the body is not what the API documents (bad JSON, missing fields)
    "empty",  # a well-formed answer with nothing in it
    "bad_content",  # wrong content type, or an image/audio that does not decode
    "invalid_output",  # JSON that does not fit the schema, even after one repair attempt
    "cooling_down",  # skipped: the provider failed too often recently
    "unavailable",  # skipped: not reachable when first probed, or not configured
]

# Kinds worth retrying on the same provider before moving on.
RETRYABLE: frozenset[str] = frozenset({"timeout", "server_error", "rate_limited"})


class ProviderError(Exception):
    """One provider failed one call. `detail` is one line and must never contain a secret."""

    def __init__(self, kind: FailureKind, detail: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Attempt:
    """One provider's part in one routed call."""

    provider: str
    tier: str
    model: str
    kind: str  # "ok" or a FailureKind
    detail: str
    wall_ms: float


class AllProvidersFailed(ReelforgeError):
    """Every provider for a capability failed; the message names each one and why."""

    def __init__(self, capability: str, attempts: list[Attempt]) -> None:
        reasons = "; ".join(f"{a.provider} ({a.tier}): {a.kind} - {a.detail}" for a in attempts)
        # A chat with no tool-calling provider in the order tries none at all.
        reasons = reasons or "none is set up"
        super().__init__(
            f"no {capability} provider answered: {reasons}; check the settings or run 'reelforge status'"
        )
        self.capability = capability
        self.attempts = attempts
