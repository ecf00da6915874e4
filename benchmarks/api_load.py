"""Load on the HTTP API: many dashboard-like clients against a real `reelforge serve` while runs render.

The script starts `reelforge serve` (uvicorn, one process) on a free loopback port with a fresh home, the
offline tier only (research and the free tier off) and the espeak voice, and keeps `--runs` preview runs
rendering for the whole measurement, so the SSE streams carry live events and the server shares the
machine with ffmpeg as it does in use. Then `--clients` clients, each with its own connections as a
browser has, for `--seconds`:
- hold an SSE stream on a run (GET /runs/{id}/events) as EventSource does: a stream that ends or drops
  connects again with Last-Event-ID, and once a resumed stream ends too (the run settled) the client
  follows a run still rendering; every event must come right after the one before (no repeat, no gap);
- poll GET /runs, GET /providers and GET /runs/{id} every `--poll` seconds (a dashboard's refresh).

A request that fails before any answer because the server closed its idle kept-alive connection at that
moment is sent again, as browsers do, and counted apart; any other failure or non-200 answer is an error.

    .venv/bin/python benchmarks/api_load.py [--seconds 60] [--clients 50] [--runs 2] [--json]

Target (seed 001): no errors, and p95 under 300 ms for the reads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_env import make_env  # noqa: E402

TARGET_P95_MS = 300.0
SETTLED = {"waiting", "done", "failed", "stopped", "rejected"}
# A browser opens at most six connections to one host.
BROWSER_CONNECTIONS = 6
# What a request that went out on a kept-alive connection the server closed at that moment (uvicorn closes
# idle ones after 5 s) fails with before any answer: browsers send such a request again, and so do these.
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError)


@dataclass
class Tally:
    """What every client saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    events: int = 0
    live_lags_ms: list[float] = field(default_factory=list)
    streams: int = 0
    resumed: int = 0
    runs_started: list[str] = field(default_factory=list)
    # Requests sent again because the server had just closed the idle connection they went out on.
    stale: int = 0

    def error(self, what: str) -> None:
        """Count one failed request (kept short: the first few are printed)."""
        self.errors.append(what[:200])


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, port: int, profile: Path | None = None) -> subprocess.Popen[bytes]:
    """`reelforge serve` on `port` with `home`, offline, research and the free tier off; with `profile`,
    under pyinstrument (installed separately), which writes its text report there when the server stops."""
    env = make_env(home, ["offline"], REELFORGE_RESEARCH="off", REELFORGE_THIRD_PARTY_FREE="off")
    log = (home / "serve.log").open("wb")
    profiler = ["-m", "pyinstrument", "--renderer", "text", "-o", str(profile)] if profile else []
    return subprocess.Popen(
        [sys.executable, *profiler, "-m", "graph.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Return once /healthz answers; raise if the server exits or never answers."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"error: reelforge serve exited with code {server.returncode}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"error: reelforge serve did not answer on {base} within {timeout_s:.0f} s")


class Runs:
    """Keeps `count` preview runs rendering; clients ask it for a run that is still going."""

    def __init__(self, client: httpx.AsyncClient, tally: Tally, count: int, duration_s: int) -> None:
        """Start runs through `client`, each `duration_s` long, `count` at a time."""
        self.client, self.tally, self.count, self.duration_s = client, tally, count, duration_s
        self.active: list[str] = []

    async def start_one(self) -> None:
        """POST /runs: a preview with the espeak voice."""
        n = len(self.tally.runs_started) + 1
        body = {"topic": f"load test {n}: how bees dance", "duration_s": self.duration_s, "preview": True}
        response = await self.client.post("/runs", json={**body, "voice": "espeak"})
        if response.status_code != 202:
            raise SystemExit(f"error: POST /runs answered {response.status_code}: {response.text}")
        run_id = response.json()["run_id"]
        self.tally.runs_started.append(run_id)
        self.active.append(run_id)

    async def keep(self, until: float) -> None:
        """Replace each run that settles with a new one, until `until`."""
        while time.monotonic() < until:
            for run_id in list(self.active):
                response = await timed_get(self.client, f"/runs/{run_id}", "", self.tally, timed=False)
                if response is not None and response.json().get("status") in SETTLED:
                    self.active.remove(run_id)
            while len(self.active) < self.count:
                await self.start_one()
            await asyncio.sleep(0.5)

    def pick(self, n: int) -> str:
        """A run still rendering (the newest ones are live longest), spread over the clients."""
        pool = self.active or self.tally.runs_started
        return pool[n % len(pool)]


async def timed_get(
    client: httpx.AsyncClient, url: str, label: str, tally: Tally, *, timed: bool = True
) -> httpx.Response | None:
    """GET `url`, recording its latency under `label`; an error or a non-200 answer counts as an error."""
    started = time.perf_counter()
    try:
        try:
            response = await client.get(url)
        except STALE_CONNECTION:
            tally.stale += 1
            response = await client.get(url)
    except httpx.HTTPError as exc:
        tally.error(f"GET {url}: {type(exc).__name__}: {exc}")
        return None
    if timed:
        tally.latencies[label].append((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        tally.error(f"GET {url}: {response.status_code} {response.text[:100]}")
        return None
    return response


async def poll(
    client: httpx.AsyncClient, runs: Runs, n: int, args: argparse.Namespace, until: float, tally: Tally
) -> None:
    """A dashboard's refresh: the run list, the providers, and one run, every `args.poll` seconds."""
    every_s = args.poll
    # Spread the clients' refreshes over the interval, as browsers opened at different times are.
    await asyncio.sleep(every_s * n / args.clients)
    while time.monotonic() < until:
        started = time.monotonic()
        await timed_get(client, "/runs", "GET /runs", tally)
        await timed_get(client, "/providers", "GET /providers", tally)
        await timed_get(client, f"/runs/{runs.pick(n)}", "GET /runs/{id}", tally)
        await asyncio.sleep(max(0.0, every_s - (time.monotonic() - started)))


async def follow(client: httpx.AsyncClient, runs: Runs, n: int, until: float, tally: Tally) -> None:
    """Hold an SSE stream until `until`, as a browser's EventSource does: when a stream ends or drops, connect
    again with Last-Event-ID; once a resumed stream ends too, the run has settled, so follow one still
    rendering. Every event must follow the one before it (a repeat or a gap is an error)."""
    run_id, last_id = runs.pick(n), 0
    while time.monotonic() < until:
        resuming = last_id > 0
        headers = {"Last-Event-ID": str(last_id)} if resuming else {}
        tally.resumed += resuming
        connected = datetime.now().astimezone()
        request = client.build_request("GET", f"/runs/{run_id}/events", headers=headers)
        try:
            try:
                response = await client.send(request, stream=True)
            except STALE_CONNECTION:
                tally.stale += 1
                response = await client.send(request, stream=True)
            try:
                if response.status_code != 200:
                    tally.error(f"SSE {run_id}: {response.status_code}")
                    await asyncio.sleep(1.0)
                    continue
                tally.streams += 1
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    event = json.loads(line[6:])
                    if event["seq"] != last_id + 1:
                        tally.error(f"SSE {run_id}: event {event['seq']} came after event {last_id}")
                    last_id = event["seq"]
                    tally.events += 1
                    sent = datetime.fromisoformat(event["ts"])
                    if sent >= connected:
                        lag = datetime.now().astimezone() - sent
                        tally.live_lags_ms.append(lag.total_seconds() * 1000)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            tally.error(f"SSE {run_id}: {type(exc).__name__}: {exc}")
            continue
        if resuming:
            # Nothing more comes until someone acts on the run: follow one still rendering, from its start.
            run_id, last_id = runs.pick(n + len(tally.runs_started)), 0
        # EventSource waits `retry` (the server asks for 2 s) before it connects again; a dashboard no less.
        await asyncio.sleep(2.0)


async def client_task(
    base: str, runs: Runs, n: int, args: argparse.Namespace, until: float, tally: Tally
) -> None:
    """One browser: its own connections, one SSE stream and the polling."""
    limits = httpx.Limits(max_connections=BROWSER_CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        both = asyncio.gather(
            follow(client, runs, n, until, tally), poll(client, runs, n, args, until, tally)
        )
        try:
            # A stream waiting for its next event, or a read in flight, is cut off at the end.
            await asyncio.wait_for(both, timeout=max(0.0, until - time.monotonic()))
        except TimeoutError:
            pass


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def measure(args: argparse.Namespace, base: str) -> dict[str, Any]:
    """Run the clients for `args.seconds` against the server at `base` and return the figures."""
    tally = Tally()
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as control:
        runs = Runs(control, tally, args.runs, args.run_seconds)
        for _ in range(args.runs):
            await runs.start_one()
        # Let the first run get past its planning so streams begin with history and go on live.
        await asyncio.sleep(1.0)
        started = time.monotonic()
        until = started + args.seconds
        keeper = asyncio.create_task(runs.keep(until))
        await asyncio.gather(*(client_task(base, runs, n, args, until, tally) for n in range(args.clients)))
        elapsed = time.monotonic() - started
        await keeper
    reads = [ms for values in tally.latencies.values() for ms in values]
    requests = len(reads) + len(tally.errors)
    p95 = percentile(reads, 95)
    return {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "runs_rendering": args.runs,
        "runs_started": len(tally.runs_started),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:5],
        "reads_ms": {
            "p50": round(percentile(reads, 50), 1),
            "p95": round(p95, 1),
            "p99": round(percentile(reads, 99), 1),
            "max": round(max(reads, default=0.0), 1),
        },
        "by_route_ms": {
            label: {
                "count": len(values),
                "p50": round(percentile(values, 50), 1),
                "p95": round(percentile(values, 95), 1),
            }
            for label, values in sorted(tally.latencies.items())
        },
        "sent_again_on_a_fresh_connection": tally.stale,
        "sse": {
            "streams_opened": tally.streams,
            "resumed_with_last_event_id": tally.resumed,
            "events": tally.events,
            "live_lag_ms_p50": round(percentile(tally.live_lags_ms, 50), 1),
            "live_lag_ms_p95": round(percentile(tally.live_lags_ms, 95), 1),
        },
        "target": {"p95_ms": TARGET_P95_MS, "met": not tally.errors and p95 < TARGET_P95_MS},
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as a person reads them."""
    reads, sse = figures["reads_ms"], figures["sse"]
    lines = [
        f"api load: {figures['clients']} clients for {figures['seconds']} s on loopback, "
        f"{figures['runs_rendering']} preview runs rendering throughout ({figures['runs_started']} started)",
        f"requests  {figures['requests']} ({figures['requests_per_s']}/s), errors {figures['errors']} "
        f"({figures['sent_again_on_a_fresh_connection']} sent again because the server had just closed "
        "the idle connection they went out on, as browsers do)",
        f"reads     p50 {reads['p50']} ms, p95 {reads['p95']} ms, p99 {reads['p99']} ms, "
        f"max {reads['max']} ms",
    ]
    for label, route in figures["by_route_ms"].items():
        lines.append(f"  {label:<16} {route['count']:>6}  p50 {route['p50']} ms, p95 {route['p95']} ms")
    lines.append(
        f"SSE       {sse['events']} events over {sse['streams_opened']} streams "
        f"({sse['resumed_with_last_event_id']} resumed with Last-Event-ID); live events arrived "
        f"p50 {sse['live_lag_ms_p50']} ms, p95 {sse['live_lag_ms_p95']} ms after they were written"
    )
    lines.extend(f"  error: {error}" for error in figures["first_errors"])
    met = "met" if figures["target"]["met"] else "MISSED"
    lines.append(f"target    no errors and reads p95 < {TARGET_P95_MS:.0f} ms: {met}")
    return "\n".join(lines)


def main() -> int:
    """Parse the options, serve, measure, print; exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="How long the clients run.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
    parser.add_argument("--runs", type=int, default=2, help="Preview runs kept rendering meanwhile.")
    parser.add_argument("--run-seconds", type=int, default=60, help="Length of each run's video.")
    parser.add_argument("--poll", type=float, default=1.0, help="Seconds between a client's refreshes.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--profile", type=Path, help="Profile the server with pyinstrument into this file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reelforge-load-") as tmp:
        home = Path(tmp) / "home"
        port = free_port()
        server = start_server(home, port, args.profile)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(wait_until_up(base, server))
            figures = asyncio.run(measure(args, base))
            log = (home / "serve.log").read_text(errors="replace")[-3000:]
            if server.poll() is not None:
                raise SystemExit(f"error: reelforge serve exited with code {server.returncode}:\n{log}")
            if figures["errors"] and log.strip():
                print(f"the server's log ends:\n{log}", file=sys.stderr)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0 if figures["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
