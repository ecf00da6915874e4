"""Measure what a dead provider costs a call before and after it cools down, against no dead provider.

A "dead" Ollama is a socket that accepts connections and never answers (a hung server), or a port where
nothing listens (refused). The router sends text calls to it first, then to the offline tier. After
`failures_before_cooldown` failures the provider cools down, and each later call should skip it at once.
The baseline is the same router with only the offline tier, measured in the same run.

    .venv/bin/python benchmarks/router_cooldown.py [--calls 200] [--timeout 0.5]

Target: after cooldown, a dead provider adds under 50 ms to a call.
"""

from __future__ import annotations

import argparse
import logging
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import structlog
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from state import RouterSettings, TextRequest  # noqa: E402
from state.model_settings import ProviderSettings  # noqa: E402
from tools.models.service import ModelRouter  # noqa: E402
from tools.storage.sqlite_ledger import UsageLedger  # noqa: E402


class Word(BaseModel):
    """The answer the calls ask for."""

    word: str


REQUEST = TextRequest("system", "one word", Word, offline=lambda: {"word": "offline"})


def black_hole() -> tuple[socket.socket, str]:
    """A listening socket nobody ever reads from: connections succeed, answers never come."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def refused() -> str:
    """A URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def router(home: Path, order: list[str], ollama_url: str, timeout_s: float) -> ModelRouter:
    """A router whose text order is `order`, with Ollama at `ollama_url`."""
    settings = RouterSettings(
        order={"text": order},
        providers={
            "ollama": ProviderSettings(
                url=ollama_url, text_model="qwen3:8b", timeout_s=timeout_s, retries=0, explicit=True
            ),
            "offline": ProviderSettings(text_model="offline-writer", explicit=True),
        },
    )
    return ModelRouter(settings, UsageLedger(home / f"ledger-{time.monotonic_ns()}.sqlite"), "bench")


def per_call_ms(models: ModelRouter, calls: int) -> list[float]:
    """Milliseconds of each of `calls` text calls."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        routed = models.text(REQUEST, "bench")
        times.append((time.perf_counter() - started) * 1000)
        assert routed.provider == "offline"
    return times


def main() -> None:
    """Print the per-call cost of a dead provider before and after its cooldown, and the ratio's verdict."""
    # The router warns on every failure; the figures are what this script is for.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=0.5, help="the dead provider's timeout, seconds")
    args = parser.parse_args()
    hole, hung_url = black_hole()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        baseline = per_call_ms(router(home, ["offline"], refused(), args.timeout), args.calls)
        print(f"baseline (offline only): median {statistics.median(baseline):.2f} ms per call")
        for label, url in (("hung", hung_url), ("refused", refused())):
            models = router(home, ["ollama", "offline"], url, args.timeout)
            before = per_call_ms(models, models.settings.failures_before_cooldown)
            after = per_call_ms(models, args.calls)
            extra = statistics.median(after) - statistics.median(baseline)
            p99 = sorted(after)[int(len(after) * 0.99) - 1]
            print(
                f"{label:8s} before cooldown: {statistics.median(before):8.1f} ms per call; "
                f"after: median {statistics.median(after):.2f} ms, p99 {p99:.2f} ms; "
                f"the dead provider adds {extra:.2f} ms (target < 50 ms): {'OK' if extra < 50 else 'MISSED'}"
            )
            if label == "hung":
                timeout_ms = args.timeout * 1000
                print(f"{'':8s} abandoned at: {min(before):.0f} ms for a {timeout_ms:.0f} ms timeout")
    hole.close()


if __name__ == "__main__":
    main()
