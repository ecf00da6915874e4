"""Queued runs: put a run on the Redis queue, and the async body a worker runs it with."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.runnables import RunnableConfig

from graph.logs import configure_logging
from graph.orchestrator import compile_orchestrator
from graph.preflight import check_inputs
from graph.router_config import load_router_settings
from graph.run_ids import daily_run_id, daily_thread_id
from graph.runner import make_context, stream_options
from graph.settings import Settings
from graph.stores import open_run_index
from state import JobSpec
from state.daily_plan import DailyPlan
from tools.errors import BadInput, ReelforgeError
from tools.home import run_lock
from tools.memory import limit_malloc_arenas
from tools.secrets import redact


def require_redis(settings: Settings) -> str:
    """The Redis URL queued runs need; BadInput when there is none."""
    if not settings.redis_url:
        raise BadInput("--queue needs Redis: set REDIS_URL or pass --redis URL, and start 'reelforge worker'")
    return settings.redis_url


def enqueue_run(settings: Settings, run_id: str) -> None:
    """Send the run (already in the run index) to the workers."""
    from graph.worker import RUN_TASK, build_app

    require_redis(settings)
    build_app(settings).send_task(RUN_TASK, args=[run_id])


def queue_make(settings: Settings, run_id: str, thread_id: str, job: JobSpec) -> None:
    """Record a new run as queued and send it to the workers."""
    index = open_run_index(settings)
    index.create(run_id, thread_id, job["topic"], dict(job))
    index.set_status(run_id, "queued")
    enqueue_run(settings, run_id)


def queue_daily(settings: Settings, plan: DailyPlan, day: date) -> list[dict[str, Any]]:
    """Queue every item of the plan for `day` that is not done yet; never queue a finished run again."""
    index = open_run_index(settings)
    queued = []
    for item in plan.items:
        run_id, thread_id = daily_run_id(day, item.slug), daily_thread_id(day, item.slug)
        record = index.get(run_id)
        entry = {"slug": item.slug, "run_id": run_id, "thread_id": thread_id, "video": None, "error": None}
        if record is not None and record.status == "done":
            queued.append({**entry, "outcome": "already done", "video": record.video})
            continue
        if record is not None and record.status == "queued":
            queued.append({**entry, "outcome": "already queued"})
            continue
        try:
            if record is None:
                queue_make(settings, run_id, thread_id, check_inputs(item.to_job()))
            else:
                # Stopped or failed earlier: the worker resumes it from its checkpoint.
                enqueue_run(settings, run_id)
        except ReelforgeError as exc:
            queued.append({**entry, "outcome": "failed", "error": redact(str(exc))})
            continue
        queued.append({**entry, "outcome": "queued"})
    return queued


def workers_online(settings: Settings, timeout_s: float = 1.0) -> int:
    """How many workers answer a ping on the broker within `timeout_s`."""
    from graph.worker import build_app

    replies = build_app(settings).control.ping(timeout=timeout_s) or []
    return len(replies)


async def execute_queued(settings: Settings, run_id: str) -> dict[str, Any]:
    """Run or resume `run_id` to the end with the async Redis saver, made inside this event loop."""
    from tools.storage.redis_checkpoints import AsyncRedisSaver

    limit_malloc_arenas()
    index = open_run_index(settings)
    record = index.get(run_id)
    if record is None:
        raise BadInput(f"no run called {run_id!r} in the run index")
    router = load_router_settings(settings.home)
    configure_logging(settings.home, router)
    context = make_context(settings, run_id, None, router)
    config: RunnableConfig = {"configurable": {"thread_id": record.thread_id}, "recursion_limit": 200}
    with run_lock(context.run_dir):
        url = require_redis(settings)
        async with AsyncRedisSaver.from_url(url, ttl_s=settings.checkpoint_ttl_s) as saver:
            app = compile_orchestrator(saver)
            # A redelivered job finds the checkpoints of the attempt that died and continues from them.
            graph_input = None if (await app.aget_state(config)).values else {"job": record.job}
            index.set_status(run_id, "running")
            try:
                async for _ in app.astream(graph_input, config, **stream_options(context)):
                    pass
            except Exception as exc:
                index.set_status(
                    run_id, "failed", error=redact(str(exc).splitlines()[0] if str(exc) else repr(exc))
                )
                raise
            values = dict((await app.aget_state(config)).values)
    video = values.get("video", {}).get("video", {}).get("path")
    index.set_status(run_id, "done", video=video)
    return {"run_id": run_id, "status": "done", "video": video}
