"""Turn HTTP-level failures (httpx exceptions and status codes) into ProviderErrors."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import httpx

from tools.models.failures import ProviderError


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Read Retry-After as seconds (a number or an HTTP date); None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def failure_for_status(status: int, headers: Mapping[str, str], what: str) -> ProviderError:
    """A ProviderError for a non-2xx `status` from `what` (e.g. 'POST /api/chat')."""
    if status == 429:
        wait = retry_after_seconds(headers)
        return ProviderError("rate_limited", f"{what} answered 429", retry_after_s=wait)
    if status >= 500:
        return ProviderError("server_error", f"{what} answered {status}")
    if status in (401, 403):
        return ProviderError("auth", f"{what} answered {status}: the key is missing or wrong")
    return ProviderError("bad_request", f"{what} answered {status}")


def failure_for_exception(error: BaseException, what: str) -> ProviderError | None:
    """A ProviderError for a transport-level httpx error, or None if `error` is not one."""
    if isinstance(error, httpx.TimeoutException):
        return ProviderError("timeout", f"{what} timed out")
    if isinstance(error, httpx.HTTPStatusError):
        return failure_for_status(error.response.status_code, error.response.headers, what)
    if isinstance(error, httpx.TransportError | ConnectionError):
        return ProviderError("refused", f"{what} could not connect ({type(error).__name__})")
    return None
