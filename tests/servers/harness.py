"""A threaded HTTP server for protocol fakes, with faults that tests switch on per request.

Each service (Ollama, OpenAI, Hugging Face, ComfyUI, Coqui) subclasses `ProtocolServer` and registers its
routes. Tests then call `server.fail(kind, times=n)` to make the next n matching requests fail:

- "hang": accept the request, then send nothing for `hang_s` seconds (longer than any client timeout);
- "500": answer HTTP 500;
- "429": answer HTTP 429 with `Retry-After: 1`;
- "malformed": answer 200 with a body that is not valid JSON;
- "empty": answer 200 with the route's documented shape but nothing in it (the route decides);
- "truncated": answer 200 with the first half of the route's real body (an image or audio that won't decode);
- "wrong_type": answer 200 with an HTML page where the route sends JSON, an image or audio.

"Refused" needs no server: `refused_url()` is an address on which nothing listens. A slow service is
`server.delay_s = 1.0`: every request is answered after that many seconds (benchmarks of overlap use it).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("hang", "500", "429", "malformed", "empty", "truncated", "wrong_type")


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """What a route answers: status, content type and body, plus extra headers."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # For streaming routes: chunks written one after another (NDJSON, SSE).
    chunks: list[bytes] | None = None

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Response:
        """A JSON answer."""
        return cls(json.dumps(value).encode(), "application/json", status)


# A route gets the request and the fault in force for it ("empty" is the only one routes handle
# themselves; the harness applies the others), and returns the response.
Route = Callable[[Request, str | None], Response]


@dataclass
class _Fault:
    kind: str
    remaining: int | None  # None: every request
    path_prefix: str


class ProtocolServer:
    """A protocol fake on 127.0.0.1 and a free port; use as a context manager or call start/stop."""

    hang_s = 30.0
    # Seconds every request waits before its answer (a slow network or a busy service).
    delay_s = 0.0

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, Route]] = []
        self.requests: list[Request] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._stop_hanging = threading.Event()
        self.register()

    def register(self) -> None:
        """Subclasses add their routes here with `self.route(method, path_prefix, handler)`."""

    def route(self, method: str, prefix: str, handler: Route) -> None:
        """Serve `method` requests whose path starts with `prefix` (longest prefix wins)."""
        self.routes.append((method, prefix, handler))
        self.routes.sort(key=lambda item: len(item[1]), reverse=True)

    def fail(self, kind: str, times: int | None = 1, path: str = "") -> None:
        """Make the next `times` requests under `path` fail with `kind` (None: until `heal()`)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        with self._lock:
            self._faults.append(_Fault(kind, times, path))

    def heal(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault.kind
        return None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ProtocolServer:
        """Listen on a free port and serve in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and release hung requests."""
        self._stop_hanging.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ProtocolServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def dispatch(self, request: Request) -> Response | None:
        """Find the route for `request` and apply any fault; None means hang."""
        with self._lock:
            self.requests.append(request)
        if self.delay_s > 0:
            self._stop_hanging.wait(self.delay_s)
        fault = self._take_fault(request.path)
        if fault == "hang":
            self._stop_hanging.wait(self.hang_s)
            return None
        if fault == "500":
            return Response.json({"error": "injected server error"}, status=500)
        if fault == "429":
            response = Response.json({"error": "rate limited"}, status=429)
            response.headers["Retry-After"] = "1"
            return response
        if fault == "malformed":
            return Response(b'{"this is": not json', "application/json")
        if fault == "wrong_type":
            return Response(b"<html><body>502 Bad Gateway</body></html>", "text/html")
        for method, prefix, handler in self.routes:
            if method == request.method and request.path.startswith(prefix):
                response = handler(request, fault)
                if fault == "truncated":
                    body = response.body if response.chunks is None else b"".join(response.chunks)
                    return Response(body[: max(1, len(body) // 2)], response.content_type)
                return response
        return Response.json({"error": f"no route for {request.method} {request.path}"}, status=404)


def _handler_for(server: ProtocolServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            request = Request(
                self.command, split.path, parse_qs(split.query), {k: v for k, v in self.headers.items()}, body
            )
            response = server.dispatch(request)
            if response is None:
                self.close_connection = True
                return
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.chunks is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in response.chunks:
                    self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


def refused_url() -> str:
    """An http:// URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll `predicate` until it is true or raise TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.01)
