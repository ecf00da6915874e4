"""Server-sent events for the API's streams: each item as a frame, and keepalive comments while none comes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

T = TypeVar("T")
# Comment lines that keep proxies and browsers from closing a stream while nothing happens.
KEEPALIVE_S = 15.0
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def sse_frames(
    items: AsyncIterator[T], frame: Callable[[T], str], keepalive_s: float = KEEPALIVE_S
) -> AsyncIterator[str]:
    """`items` as SSE frames, with a keepalive comment after each `keepalive_s` without one.

    The items are read in their own task: a timeout only stops the waiting, never the reading (cancelling
    an async generator mid-await would end it). A client that hangs up stops the reading.
    """
    queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in items:
                await queue.put((item,))
        finally:
            await queue.put(None)

    task = asyncio.create_task(pump())
    try:
        while True:
            try:
                got = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if got is None:
                break
            yield frame(got[0])
        await task  # its error, if any, ends the stream as the server's error
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
