"""Measure what a checkpointer costs per node step on a 20-node linear graph of trivial nodes.

Savers, all in one run: none, InMemorySaver, SqliteSaver (temp file, WAL, as graph/checkpointer.py opens it),
our RedisSaver (sync `stream`) and AsyncRedisSaver (`astream`). Redis is a private redis-server this script
starts on a free port with AOF on (appendfsync everysec, the default), or REDIS_URL if set. Every saver runs
with durability="sync", as production does; the no-saver run passes no durability.

    .venv/bin/python benchmarks/checkpoint_overhead.py [--runs 30] [--nodes 20]

Target: RedisSaver costs at most 3 ms per step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402
from typing_extensions import TypedDict  # noqa: E402

from graph.services import sqlite_connection  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tools.storage import AsyncRedisSaver, RedisSaver, persistence_warning  # noqa: E402

TARGET_MS = 3.0
# Our own prefix, and every thread deleted afterwards, so a shared REDIS_URL is left as it was found.
PREFIX = f"reelforge:bench:{uuid.uuid4().hex[:8]}"


class Count(TypedDict):
    """One integer that each node bumps."""

    n: int


def bump(state: Count) -> dict[str, int]:
    """A trivial node."""
    return {"n": state["n"] + 1}


def build(nodes: int) -> StateGraph:
    """START -> node0 -> ... -> node{nodes-1} -> END."""
    builder = StateGraph(Count)
    names = [f"node{i}" for i in range(nodes)]
    for name in names:
        builder.add_node(name, bump)
    builder.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    return builder


def measure(one_run: Callable[[str], None], runs: int, nodes: int) -> list[float]:
    """Milliseconds per node step for each of `runs` runs, after 3 warm-up runs."""
    for _ in range(3):
        one_run(f"warm-{uuid.uuid4()}")
    per_step = []
    for _ in range(runs):
        thread = f"bench-{uuid.uuid4()}"
        start = time.perf_counter()
        one_run(thread)
        per_step.append((time.perf_counter() - start) * 1000 / nodes)
    return per_step


def sync_runner(
    app: Any, nodes: int, durability: str | None, threads: list[str] | None = None
) -> Callable[[str], None]:
    """Run the graph once on a thread with `stream`, as graph/runner.py does, noting the thread id."""
    extra: dict[str, Any] = {"durability": durability} if durability else {}

    def one_run(thread: str) -> None:
        if threads is not None:
            threads.append(thread)
        cfg = {"configurable": {"thread_id": thread}}
        for _ in app.stream({"n": 0}, cfg, stream_mode="updates", version="v2", **extra):
            pass
        assert app.get_state(cfg).values["n"] == nodes if durability else True

    return one_run


async def measure_async(url: str, runs: int, nodes: int) -> list[float]:
    """AsyncRedisSaver with `astream`, timed the same way."""
    async with AsyncRedisSaver.from_url(url, prefix=PREFIX) as saver:
        app = build(nodes).compile(checkpointer=saver)
        threads: list[str] = []

        async def one_run(thread: str) -> None:
            threads.append(thread)
            cfg = {"configurable": {"thread_id": thread}}
            async for _ in app.astream({"n": 0}, cfg, stream_mode="updates", version="v2", durability="sync"):
                pass

        for _ in range(3):
            await one_run(f"warm-{uuid.uuid4()}")
        per_step = []
        for _ in range(runs):
            start = time.perf_counter()
            await one_run(f"bench-{uuid.uuid4()}")
            per_step.append((time.perf_counter() - start) * 1000 / nodes)
        for thread in threads:
            await saver.adelete_thread(thread)
        return per_step


def main() -> int:
    """Run every saver and print one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--nodes", type=int, default=20)
    args = parser.parse_args()
    runs, nodes = args.runs, args.nodes

    results: dict[str, list[float]] = {}
    with ExitStack() as stack:
        url = os.environ.get("REDIS_URL")
        if url:
            where = f"REDIS_URL ({url.split('@')[-1]})"
        else:
            server = RedisServer.start(appendonly=True)
            stack.callback(server.stop)
            url = server.url
            where = f"private redis-server on port {server.port}, --appendonly yes"

        results["none"] = measure(sync_runner(build(nodes).compile(), nodes, None), runs, nodes)
        memory = build(nodes).compile(checkpointer=InMemorySaver())
        results["InMemorySaver"] = measure(sync_runner(memory, nodes, "sync"), runs, nodes)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cp-bench-")))
        connection = sqlite_connection(tmp / "checkpoints.sqlite")
        stack.callback(connection.close)
        sqlite = SqliteSaver(connection)
        sqlite.setup()
        results["SqliteSaver (WAL)"] = measure(
            sync_runner(build(nodes).compile(checkpointer=sqlite), nodes, "sync"), runs, nodes
        )
        redis_saver = stack.enter_context(RedisSaver.from_url(url, prefix=PREFIX))
        warning = persistence_warning(redis_saver.client)
        threads: list[str] = []
        results["RedisSaver"] = measure(
            sync_runner(build(nodes).compile(checkpointer=redis_saver), nodes, "sync", threads), runs, nodes
        )
        for thread in threads:
            redis_saver.delete_thread(thread)
        results["AsyncRedisSaver"] = asyncio.run(measure_async(url, runs, nodes))

    base = statistics.median(results["none"])
    print(f"{nodes}-node linear graph, {runs} runs each (median of per-run ms/step); Redis: {where}")
    if warning:
        print(f"warning: {warning}")
    print(f"{'saver':<20} {'ms/step':>8} {'p90':>8} {'overhead':>9}")
    for name, values in results.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:<20} {median:8.3f} {p90:8.3f} {median - base:9.3f}")
    redis_ms = statistics.median(results["RedisSaver"])
    verdict = "meets" if redis_ms <= TARGET_MS else "MISSES"
    print(f"RedisSaver: {redis_ms:.3f} ms per step {verdict} the target of <= {TARGET_MS:.0f} ms per step")
    return 0 if redis_ms <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
