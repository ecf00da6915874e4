"""The SSE helper: keepalive comments while a stream is quiet, and the quiet never ends the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from graph.api.sse import sse_frames


async def _slow(gaps_s: list[float]) -> AsyncIterator[int]:
    for index, gap in enumerate(gaps_s):
        await asyncio.sleep(gap)
        yield index


def _collect(gaps_s: list[float], keepalive_s: float) -> list[str]:
    async def go() -> list[str]:
        return [frame async for frame in sse_frames(_slow(gaps_s), lambda n: f"data: {n}\n\n", keepalive_s)]

    return asyncio.run(go())


def test_a_quiet_stretch_gets_keepalives_and_every_item_still_comes() -> None:
    frames = _collect([0.0, 0.35, 0.0], keepalive_s=0.1)
    data = [frame for frame in frames if frame.startswith("data: ")]
    assert data == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"]
    assert frames.count(": keepalive\n\n") >= 2
    assert frames.index("data: 1\n\n") > frames.index(": keepalive\n\n")


def test_a_busy_stream_has_no_keepalives() -> None:
    assert _collect([0.0, 0.0, 0.0], keepalive_s=5.0) == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"]
