"""LangGraph checkpoint savers on plain Redis commands: `RedisSaver` (sync) and `AsyncRedisSaver`.

Both drive the same command plans (tools/storage/redis_checkpoint_plans.py), so they store the same layout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import redis
import redis.asyncio as aredis
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from tools.storage.redis_checkpoint_plans import (
    DEFAULT_PREFIX,
    Plan,
    T,
    _Batch,
    _RedisSaverBase,
)
from tools.storage.redis_connection import (
    _connection_kwargs,
    _explain,
    check_redis,
    persistence_warning,
    redact_url,
)

__all__ = [
    "DEFAULT_PREFIX",
    "AsyncRedisSaver",
    "RedisSaver",
    "check_redis",
    "persistence_warning",
    "redact_url",
]


def _check_client(client: redis.Redis | aredis.Redis) -> None:
    if _connection_kwargs(client).get("decode_responses"):
        raise ValueError(
            "the Redis client for checkpoints must use decode_responses=False (values are bytes)"
        )


class RedisSaver(_RedisSaverBase):
    """A LangGraph checkpointer on a sync `redis.Redis` client; its async methods run in a worker thread."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl_s: int | None = None,
        prefix: str = DEFAULT_PREFIX,
        serde: SerializerProtocol | None = None,
    ) -> None:
        """Store checkpoints through `client` under `prefix`; keys expire `ttl_s` after a thread's writes."""
        super().__init__(ttl_s=ttl_s, prefix=prefix, serde=serde)
        _check_client(client)
        self.client = client

    @classmethod
    @contextmanager
    def from_url(
        cls, url: str, *, ttl_s: int | None = None, prefix: str = DEFAULT_PREFIX
    ) -> Iterator[RedisSaver]:
        """Connect to `url` (BadInput if Redis cannot be used), yield a saver, then close the client."""
        client = redis.Redis.from_url(url)
        try:
            try:
                client.ping()
            except Exception as exc:
                raise _explain(exc, url) from exc
            yield cls(client, ttl_s=ttl_s, prefix=prefix)
        finally:
            client.close()

    def _execute(self, batch: _Batch) -> list[Any]:
        if not batch.commands:
            return []
        if len(batch.commands) == 1 and not batch.atomic:
            return [self.client.execute_command(*batch.commands[0])]  # type: ignore[no-untyped-call]
        with self.client.pipeline(transaction=batch.atomic) as pipe:
            for command in batch.commands:
                pipe.execute_command(*command)  # type: ignore[no-untyped-call]
            return pipe.execute()

    def _run(self, plan: Plan[T]) -> Iterator[T]:
        reply: Any = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration:
                return
            if isinstance(step, _Batch):
                reply = self._execute(step)
            else:
                reply = None
                yield step

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names, or the thread's latest in its namespace, with values and writes."""
        found = list(self._run(self._get_tuple_plan(config)))
        return found[0] if found else None

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first, by thread/ns/id in `config`, metadata `filter`, `before` and `limit`."""
        yield from self._run(self._list_plan(config, filter, before, limit))

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the blobs of the channels in `new_versions`, atomically."""
        (stored,) = self._run(self._put_plan(config, checkpoint, metadata, new_versions))
        return stored

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes against the checkpoint in `config`, atomically."""
        for _ in self._run(self._put_writes_plan(config, writes, task_id, task_path)):
            pass

    def delete_thread(self, thread_id: str) -> None:
        """Delete every key of `thread_id` (all namespaces), through its index set."""
        for _ in self._run(self._delete_thread_plan(thread_id)):
            pass

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) whose metadata run_id is in `run_ids`."""
        for _ in self._run(self._delete_for_runs_plan(run_ids)):
            pass

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of one thread to another."""
        for _ in self._run(self._copy_thread_plan(source_thread_id, target_thread_id)):
            pass

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Keep only the latest checkpoint per namespace ("keep_latest"), or delete the threads ("delete")."""
        for _ in self._run(self._prune_plan(thread_ids, strategy)):
            pass

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """`get_tuple` in a worker thread."""
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """`list` in a worker thread."""
        found = await asyncio.to_thread(
            lambda: [*self.list(config, filter=filter, before=before, limit=limit)]
        )
        for tup in found:
            yield tup

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """`put` in a worker thread."""
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """`put_writes` in a worker thread."""
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """`delete_thread` in a worker thread."""
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """`delete_for_runs` in a worker thread."""
        await asyncio.to_thread(self.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """`copy_thread` in a worker thread."""
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`prune` in a worker thread."""
        await asyncio.to_thread(self.prune, thread_ids, strategy=strategy)


class AsyncRedisSaver(_RedisSaverBase):
    """A LangGraph checkpointer on a `redis.asyncio.Redis` client; sync calls work from other threads."""

    def __init__(
        self,
        client: aredis.Redis,
        *,
        ttl_s: int | None = None,
        prefix: str = DEFAULT_PREFIX,
        serde: SerializerProtocol | None = None,
    ) -> None:
        """Store checkpoints through `client` under `prefix`; keys expire `ttl_s` after a thread's writes."""
        super().__init__(ttl_s=ttl_s, prefix=prefix, serde=serde)
        _check_client(client)
        self.client = client
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    @classmethod
    @asynccontextmanager
    async def from_url(
        cls, url: str, *, ttl_s: int | None = None, prefix: str = DEFAULT_PREFIX
    ) -> AsyncIterator[AsyncRedisSaver]:
        """Connect to `url` (BadInput if Redis cannot be used), yield a saver, then close the client."""
        client = aredis.Redis.from_url(url)
        try:
            try:
                await client.ping()
            except Exception as exc:
                raise _explain(exc, url) from exc
            yield cls(client, ttl_s=ttl_s, prefix=prefix)
        finally:
            await client.aclose()

    async def _execute(self, batch: _Batch) -> list[Any]:
        if not batch.commands:
            return []
        if len(batch.commands) == 1 and not batch.atomic:
            return [await self.client.execute_command(*batch.commands[0])]  # type: ignore[no-untyped-call]
        async with self.client.pipeline(transaction=batch.atomic) as pipe:
            for command in batch.commands:
                pipe.execute_command(*command)
            return await pipe.execute()

    async def _run(self, plan: Plan[T]) -> AsyncIterator[T]:
        reply: Any = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration:
                return
            if isinstance(step, _Batch):
                reply = await self._execute(step)
            else:
                reply = None
                yield step

    async def _drain(self, plan: Plan[Any]) -> None:
        async for _ in self._run(plan):
            pass

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names, or the thread's latest in its namespace, with values and writes."""
        found = [tup async for tup in self._run(self._get_tuple_plan(config))]
        return found[0] if found else None

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Checkpoints newest first, by thread/ns/id in `config`, metadata `filter`, `before` and `limit`."""
        async for tup in self._run(self._list_plan(config, filter, before, limit)):
            yield tup

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the blobs of the channels in `new_versions`, atomically."""
        (stored,) = [c async for c in self._run(self._put_plan(config, checkpoint, metadata, new_versions))]
        return stored

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's pending writes against the checkpoint in `config`, atomically."""
        await self._drain(self._put_writes_plan(config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every key of `thread_id` (all namespaces), through its index set."""
        await self._drain(self._delete_thread_plan(thread_id))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) whose metadata run_id is in `run_ids`."""
        await self._drain(self._delete_for_runs_plan(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of one thread to another."""
        await self._drain(self._copy_thread_plan(source_thread_id, target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Keep only the latest checkpoint per namespace ("keep_latest"), or delete the threads ("delete")."""
        await self._drain(self._prune_plan(thread_ids, strategy))

    # Sync calls (e.g. graph.get_state from another thread) hop onto the loop that owns the client.
    def _loop_for_sync_call(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            raise asyncio.InvalidStateError(
                "AsyncRedisSaver was created outside an event loop; use its async methods"
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise asyncio.InvalidStateError(
                "synchronous calls to AsyncRedisSaver are only allowed from another thread; "
                "use the async methods (aget_tuple, alist, ...) or graph.ainvoke / astream"
            )
        return self.loop

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """`aget_tuple` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        return asyncio.run_coroutine_threadsafe(self.aget_tuple(config), loop).result()

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """`alist` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()

        async def collect() -> list[CheckpointTuple]:
            return [t async for t in self.alist(config, filter=filter, before=before, limit=limit)]

        yield from asyncio.run_coroutine_threadsafe(collect(), loop).result()

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """`aput` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        return asyncio.run_coroutine_threadsafe(
            self.aput(config, checkpoint, metadata, new_versions), loop
        ).result()

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """`aput_writes` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        asyncio.run_coroutine_threadsafe(self.aput_writes(config, writes, task_id, task_path), loop).result()

    def delete_thread(self, thread_id: str) -> None:
        """`adelete_thread` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        asyncio.run_coroutine_threadsafe(self.adelete_thread(thread_id), loop).result()

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """`adelete_for_runs` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        asyncio.run_coroutine_threadsafe(self.adelete_for_runs(run_ids), loop).result()

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """`acopy_thread` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        asyncio.run_coroutine_threadsafe(self.acopy_thread(source_thread_id, target_thread_id), loop).result()

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`aprune` run on the saver's loop, from another thread."""
        loop = self._loop_for_sync_call()
        asyncio.run_coroutine_threadsafe(self.aprune(thread_ids, strategy=strategy), loop).result()


# --- connection checks ------------------------------------------------------------------------------------
