"""The same small graphs on every saver we ship: InMemorySaver, SqliteSaver and our Redis savers.

Each run uses `durability="sync"` and `version="v2"`, as graph/runner.py does.
"""

from __future__ import annotations

import asyncio
import operator
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send, interrupt
from typing_extensions import TypedDict

from graph.services import sqlite_connection
from tests.redis_server import RedisServer
from tools.storage import AsyncRedisSaver, RedisSaver

RUN = {"durability": "sync", "version": "v2", "stream_mode": "updates"}


class Trail(TypedDict, total=False):
    """A list that every node appends to, and a note that update_state can set."""

    trail: Annotated[list[str], operator.add]
    note: str


class FanState(TypedDict, total=False):
    """Items fanned out with Send, and their results gathered by a reducer."""

    items: list[int]
    results: Annotated[list[int], operator.add]


class Item(TypedDict):
    """What one Send carries."""

    item: int


def build_trail(calls: Counter[str], fail: set[str] | None = None) -> StateGraph:
    """a -> b -> c, counting calls; a node named in `fail` raises (remove it to "fix" the node)."""
    fail = fail if fail is not None else set()

    def make(name: str) -> Any:
        def node(state: Trail) -> dict[str, Any]:
            calls[name] += 1
            if name in fail:
                raise RuntimeError(f"{name} failed")
            return {"trail": [name]}

        node.__name__ = f"run_{name}"
        return node

    builder = StateGraph(Trail)
    for name in ("a", "b", "c"):
        builder.add_node(name, make(name))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    return builder


@contextmanager
def open_saver(kind: str, tmp_path: Path, redis_url: str | None) -> Iterator[BaseCheckpointSaver[Any]]:
    """One saver of `kind`, closed afterwards."""
    if kind == "memory":
        yield InMemorySaver()
    elif kind == "sqlite":
        conn = sqlite_connection(tmp_path / "checkpoints.sqlite")
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield saver
        finally:
            conn.close()
    else:
        assert redis_url is not None
        with RedisSaver.from_url(redis_url) as saver:
            yield saver


@pytest.fixture(params=["memory", "sqlite", "redis"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseCheckpointSaver[Any]]:
    """Each saver in turn; Redis gets a fresh database of the private server."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with open_saver(request.param, tmp_path, url) as opened:
        yield opened


def config(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


def run(app: Any, graph_input: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    return list(app.stream(graph_input, cfg, **RUN))


def test_three_nodes_state_and_history(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    app = build_trail(calls).compile(checkpointer=saver)
    cfg = config("daily:2026-11-22:one")
    parts = run(app, {"trail": []}, cfg)

    assert [next(iter(p["data"])) for p in parts if p["type"] == "updates"] == ["a", "b", "c"]
    state = app.get_state(cfg)
    assert state.values == {"trail": ["a", "b", "c"]}
    assert state.next == ()
    history = list(app.get_state_history(cfg))
    # input, then one checkpoint before each node, then the final one: newest first.
    assert [h.values.get("trail") for h in history] == [
        ["a", "b", "c"],
        ["a", "b"],
        ["a"],
        [],
        [],
    ]
    assert [h.metadata["step"] for h in history] == [3, 2, 1, 0, -1]
    assert [h.next for h in history] == [(), ("c",), ("b",), ("a",), ("__start__",)]
    assert calls == Counter(a=1, b=1, c=1)


def test_interrupt_before_then_resume(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    app = build_trail(calls).compile(checkpointer=saver, interrupt_before=["b"])
    cfg = config("chat:interrupt:1")
    run(app, {"trail": []}, cfg)
    paused = app.get_state(cfg)
    assert paused.next == ("b",)
    assert paused.values == {"trail": ["a"]}

    run(app, None, cfg)
    assert app.get_state(cfg).values == {"trail": ["a", "b", "c"]}
    assert calls == Counter(a=1, b=1, c=1)


def test_failed_node_resumes_from_last_checkpoint(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    fail = {"b"}
    app = build_trail(calls, fail).compile(checkpointer=saver)
    cfg = config("make:fail-1")
    with pytest.raises(RuntimeError, match="b failed"):
        run(app, {"trail": []}, cfg)
    failed = app.get_state(cfg)
    assert failed.next == ("b",)
    assert failed.values == {"trail": ["a"]}

    fail.clear()
    run(app, None, cfg)
    assert app.get_state(cfg).values == {"trail": ["a", "b", "c"]}
    assert calls == Counter(a=1, b=2, c=1)


def fan_out_items(state: FanState) -> list[Send]:
    return [Send("square_item", {"item": i}) for i in state["items"]]


def build_fan(calls: Counter[str]) -> StateGraph:
    """START fans out one Send per item; each squares its item; results gather with operator.add."""

    def square_item(state: Item) -> dict[str, Any]:
        calls[f"square:{state['item']}"] += 1
        return {"results": [state["item"] ** 2]}

    builder = StateGraph(FanState)
    builder.add_node("square_item", square_item)
    builder.add_conditional_edges(START, fan_out_items, ["square_item"])
    builder.add_edge("square_item", END)
    return builder


def test_parallel_send_fan_out_with_reducer(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    app = build_fan(calls).compile(checkpointer=saver)
    cfg = config("fan:1")
    run(app, {"items": [1, 2, 3, 4, 5], "results": []}, cfg)
    state = app.get_state(cfg)
    assert sorted(state.values["results"]) == [1, 4, 9, 16, 25]
    assert all(n == 1 for n in calls.values()) and len(calls) == 5
    # A later read through a fresh graph sees the same state: nothing lived only in memory.
    again = build_fan(Counter()).compile(checkpointer=saver)
    assert sorted(again.get_state(cfg).values["results"]) == [1, 4, 9, 16, 25]


def test_update_state_as_node_and_fork(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    app = build_trail(calls).compile(checkpointer=saver, interrupt_before=["b"])
    cfg = config("chat:fork:1")
    run(app, {"trail": []}, cfg)

    # As if node "a" had also written a note: the next node is still "b".
    updated = app.update_state(cfg, {"note": "edited", "trail": ["a-edit"]}, as_node="a")
    state = app.get_state(cfg)
    assert state.next == ("b",)
    assert state.values == {"trail": ["a", "a-edit"], "note": "edited"}
    assert state.config["configurable"]["checkpoint_id"] == updated["configurable"]["checkpoint_id"]
    run(app, None, cfg)
    assert app.get_state(cfg).values == {"trail": ["a", "a-edit", "b", "c"], "note": "edited"}

    # Fork from the checkpoint taken before "b" ran the first time (before the edit), on the same graph
    # without the breakpoint, so the fork runs to the end.
    app = build_trail(calls).compile(checkpointer=saver)
    older = next(h for h in app.get_state_history(cfg) if h.next == ("b",) and h.metadata["source"] == "loop")
    assert older.values == {"trail": ["a"]}
    fork = app.update_state(older.config, {"note": "fork", "trail": ["fork"]}, as_node="a")
    run(app, None, fork)
    forked = app.get_state(cfg)
    assert forked.values == {"trail": ["a", "fork", "b", "c"], "note": "fork"}
    # The fork is now the thread's head, a child of the older checkpoint; the earlier branch is still stored.
    assert forked.parent_config is not None
    branches = [h.values.get("trail") for h in app.get_state_history(cfg)]
    assert ["a", "a-edit", "b", "c"] in branches
    assert calls == Counter(a=1, b=2, c=2)


def build_approval(calls: Counter[str]) -> StateGraph:
    """A parent whose subgraph asks for approval with interrupt(), then a parent node after it."""

    def ask_approval(state: Trail) -> dict[str, Any]:
        calls["ask"] += 1
        answer = interrupt({"question": "publish?"})
        return {"trail": [f"approved:{answer}"]}

    def publish_video(state: Trail) -> dict[str, Any]:
        calls["publish"] += 1
        return {"trail": ["published"]}

    sub = StateGraph(Trail)
    sub.add_node("ask_approval", ask_approval)
    sub.add_edge(START, "ask_approval")
    sub.add_edge("ask_approval", END)

    builder = StateGraph(Trail)
    builder.add_node("review", sub.compile())
    builder.add_node("publish_video", publish_video)
    builder.add_edge(START, "review")
    builder.add_edge("review", "publish_video")
    builder.add_edge("publish_video", END)
    return builder


def test_interrupt_inside_a_subgraph_then_resume(saver: BaseCheckpointSaver[Any]) -> None:
    calls: Counter[str] = Counter()
    app = build_approval(calls).compile(checkpointer=saver)
    cfg = config("chat:approval:1")
    parts = run(app, {"trail": []}, cfg)
    assert any("__interrupt__" in p["data"] for p in parts)
    paused = app.get_state(cfg, subgraphs=True)
    assert paused.next == ("review",)
    assert paused.tasks[0].interrupts[0].value == {"question": "publish?"}
    # The subgraph's own checkpoints live in a child namespace of the same thread.
    assert paused.tasks[0].state.values == {"trail": []}

    run(app, Command(resume="yes"), cfg)
    assert app.get_state(cfg).values == {"trail": ["approved:yes", "published"]}
    # The interrupted node re-runs from its top on resume; the parent node runs once.
    assert calls == Counter(ask=2, publish=1)


# --- AsyncRedisSaver with astream ---------------------------------------------------------------------


async def arun(app: Any, graph_input: Any, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    return [part async for part in app.astream(graph_input, cfg, **RUN)]


def test_async_redis_three_nodes(redis_url: str) -> None:
    async def main() -> None:
        calls: Counter[str] = Counter()
        async with AsyncRedisSaver.from_url(redis_url) as saver:
            app = build_trail(calls).compile(checkpointer=saver)
            cfg = config("async:one")
            parts = await arun(app, {"trail": []}, cfg)
            assert [next(iter(p["data"])) for p in parts] == ["a", "b", "c"]
            state = await app.aget_state(cfg)
            assert state.values == {"trail": ["a", "b", "c"]}
            history = [h async for h in app.aget_state_history(cfg)]
            assert [h.metadata["step"] for h in history] == [3, 2, 1, 0, -1]
            # A sync read from another thread hops onto the saver's loop.
            synced = await asyncio.to_thread(app.get_state, cfg)
            assert synced.values == state.values
        assert calls == Counter(a=1, b=1, c=1)

    asyncio.run(main())


def test_async_redis_failed_node_resumes(redis_url: str) -> None:
    async def main() -> None:
        calls: Counter[str] = Counter()
        fail = {"b"}
        async with AsyncRedisSaver.from_url(redis_url) as saver:
            app = build_trail(calls, fail).compile(checkpointer=saver)
            cfg = config("async:fail")
            with pytest.raises(RuntimeError, match="b failed"):
                await arun(app, {"trail": []}, cfg)
            assert (await app.aget_state(cfg)).next == ("b",)
            fail.clear()
            await arun(app, None, cfg)
            assert (await app.aget_state(cfg)).values == {"trail": ["a", "b", "c"]}
        assert calls == Counter(a=1, b=2, c=1)

    asyncio.run(main())


def test_async_redis_fan_out(redis_url: str) -> None:
    async def main() -> None:
        async with AsyncRedisSaver.from_url(redis_url) as saver:
            app = build_fan(Counter()).compile(checkpointer=saver)
            cfg = config("async:fan")
            await arun(app, {"items": [3, 1, 2], "results": []}, cfg)
            assert sorted((await app.aget_state(cfg)).values["results"]) == [1, 4, 9]

    asyncio.run(main())


# --- durability across a Redis restart -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["restart", "kill"])
def test_state_survives_redis_restart_with_aof(how: str) -> None:
    calls: Counter[str] = Counter()
    server = RedisServer.start(appendonly=True)
    try:
        cfg = config(f"aof:{how}")
        with RedisSaver.from_url(server.url) as saver:
            app = build_trail(calls).compile(checkpointer=saver, interrupt_before=["b"])
            run(app, {"trail": []}, cfg)
            assert app.get_state(cfg).next == ("b",)
        if how == "kill":
            server.kill()
        server.restart()
        with RedisSaver.from_url(server.url) as saver:
            app = build_trail(calls).compile(checkpointer=saver, interrupt_before=["b"])
            assert app.get_state(cfg).values == {"trail": ["a"]}
            run(app, None, cfg)
            assert app.get_state(cfg).values == {"trail": ["a", "b", "c"]}
        assert calls == Counter(a=1, b=1, c=1)
    finally:
        server.stop()
