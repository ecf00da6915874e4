"""The webhook publisher: POST the video's metadata as JSON to a URL, signed with HMAC when a secret is set.

A webhook cannot be asked whether it already got a delivery, so `find` always answers None and a resumed
run may deliver again. Every delivery of one video carries the same `Idempotency-Key` header (and body
field): receivers must deduplicate on it.

Signature: `X-Reelforge-Signature: sha256=<hex>` is HMAC-SHA256 over the exact body bytes, keyed with the
secret. The body holds `sent_at`, the same time as the `X-Reelforge-Timestamp` header, so a receiver that
rejects stale deliveries checks a time the signature covers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from state import Publication
from tools.errors import BadInput, ServiceUnavailable
from tools.publish.publisher import PublishItem, PublishRefused
from tools.secrets import MASK, redact

__all__ = ["EVENT", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookPublisher", "sign"]

EVENT = "video.published"
SIGNATURE_HEADER = "X-Reelforge-Signature"
TIMESTAMP_HEADER = "X-Reelforge-Timestamp"
# Answers that say "later", not "never": a timeout, "too early" and rate limiting.
_TRANSIENT_4XX = {408, 425, 429}
_SNIPPET = 200


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for `body`: "sha256=" and the hex HMAC-SHA256 keyed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookPublisher:
    """Deliver "video.published" events to one URL; receivers deduplicate on the Idempotency-Key header."""

    target = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout_s: float = 20,
    ) -> None:
        """`url` receives the POSTs; `secret`, when set, signs them."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInput(
                "REELFORGE_WEBHOOK_URL is not an http(s) address; set it to the receiver's address"
            )
        self.url = url.strip()
        # Webhook URLs often carry a token in their path or query (Slack, Discord): messages and records
        # name only the scheme and host.
        self.origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._secret = secret or None
        self._http = http or httpx.Client(timeout=timeout_s)
        self.timeout_s = timeout_s

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def check(self, item: PublishItem, metadata: dict[str, Any]) -> None:
        """A webhook takes any video: it receives metadata and links, never the file."""

    def find(self, idempotency_key: str) -> Publication | None:
        """Always None: a webhook cannot be asked what it received, so receivers dedupe on Idempotency-Key."""
        return None

    def body(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str, sent_at: str) -> bytes:
        """The exact bytes POSTed (and signed) for one delivery."""
        payload = {
            "event": EVENT,
            "idempotency_key": idempotency_key,
            "run_id": item.run_id,
            "sent_at": sent_at,
            "metadata": metadata,
            "video": {
                "sha256": item.video_sha256,
                "duration_s": item.duration_s,
                "width": item.width,
                "height": item.height,
                "url": item.public_url,
                "page": item.page_url,
            },
        }
        # default=str: metadata may hold Paths or datetimes, which a receiver wants as plain strings.
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")

    def publish(self, item: PublishItem, metadata: dict[str, Any], idempotency_key: str) -> Publication:
        """POST the event once; a 2xx answer is a delivery, a 4xx a refusal, anything else is retried."""
        now = datetime.now(UTC).replace(microsecond=0)
        sent_at = now.isoformat().replace("+00:00", "Z")
        body = self.body(item, metadata, idempotency_key, sent_at)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "User-Agent": "reelforge",
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
            headers[TIMESTAMP_HEADER] = str(int(now.timestamp()))
        try:
            response = self._http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise ServiceUnavailable(
                f"the webhook at {self.origin} did not answer within {self.timeout_s:g} s; try again later"
            ) from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(
                f"the webhook at {self.origin} cannot be reached ({self._clean(type(exc).__name__)});"
                " check REELFORGE_WEBHOOK_URL"
            ) from None
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_4XX:
            raise ServiceUnavailable(f"the webhook at {self.origin} answered {status}; try again later")
        if 300 <= status < 400:
            raise PublishRefused(
                f"the webhook at {self.origin} answered a redirect ({status});"
                " set REELFORGE_WEBHOOK_URL to the address it redirects to"
            )
        if status >= 400:
            raise PublishRefused(
                f"the webhook at {self.origin} refused the delivery ({status}: {self._snippet(response)});"
                " check the receiver and REELFORGE_WEBHOOK_SECRET"
            )
        answer = _json_object(response)
        receiver_id = answer.get("id")
        receiver_url = answer.get("url")
        return {
            "target": self.target,
            "id": str(receiver_id) if receiver_id not in (None, "") else _short_hash(idempotency_key),
            "url": str(receiver_url) if _web_url(receiver_url) else self.origin,
            "published_at": sent_at,
            "status": "delivered",
            "key": idempotency_key,
        }

    def _snippet(self, response: httpx.Response) -> str:
        """The start of a refusal's body on one line, without secrets."""
        text = " ".join(response.text.split())[:_SNIPPET] or "no body"
        return self._clean(text)

    def _clean(self, text: str) -> str:
        text = redact(text)
        return text.replace(self._secret, MASK) if self._secret else text


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer as a JSON object, or {} when it is empty or something else (a receiver may send "OK")."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _web_url(value: object) -> bool:
    """True for an absolute http(s) URL: a receiver's answer never puts `javascript:` into a record's link."""
    if not isinstance(value, str) or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _short_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]
