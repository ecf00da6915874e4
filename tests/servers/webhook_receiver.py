"""A webhook receiver on localhost: records every delivery and answers what the test sets.

`status` and `answer` set the reply (201 with {"id", "url"} by default; `answer=None` sends an empty body,
`answer=b"OK"` plain text). Every request is kept in `requests` with its exact body bytes, so tests can
verify a signature by recomputing it. `deliveries` counts the distinct Idempotency-Key values seen.
"""

from __future__ import annotations

import json
from typing import Any

from tests.servers.harness import ProtocolServer, Request, Response


class WebhookReceiver(ProtocolServer):
    """Takes POSTs at any path."""

    def __init__(self, status: int = 201, answer: Any = "default") -> None:
        self.status = status
        self.answer = answer
        super().__init__()

    def register(self) -> None:
        """Accept POSTs everywhere."""
        self.route("POST", "/", self._receive)

    @property
    def deliveries(self) -> set[str]:
        """The Idempotency-Key values received."""
        return {r.headers.get("Idempotency-Key", "") for r in self.requests if r.method == "POST"}

    def _receive(self, request: Request, fault: str | None) -> Response:
        answer = self.answer
        if answer == "default":
            key = request.headers.get("Idempotency-Key", "")
            answer = {"id": f"evt_{len(self.requests)}", "url": f"{self.url}/events/{key}"}
        if answer is None:
            return Response(b"", "text/plain", self.status)
        if isinstance(answer, bytes):
            return Response(answer, "text/plain", self.status)
        return Response(json.dumps(answer).encode(), "application/json", self.status)
