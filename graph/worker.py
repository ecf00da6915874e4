"""The Celery door: a worker that runs queued jobs from Redis, one thread at a time, and the beat schedule.

Settings measured here for graphs under Celery 5.7: late acks and reject-on-worker-lost (a job whose worker
dies is redelivered), prefetch 1 (a busy worker holds no second job), a visibility timeout longer than the
longest job, a sync task that runs the graph with `asyncio.run` (native async tasks fail to serialise), async
clients made inside the task, and a per-thread lock so a redelivered job never runs beside its original.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery, Task
from celery.schedules import crontab

from graph.settings import Settings, load_settings

RUN_TASK = "reelforge.run"
DAILY_TASK = "reelforge.daily"
HEALTH_TASK = "reelforge.health"
DEFAULT_VISIBILITY_TIMEOUT_S = 2 * 3600


def broker_url(redis_url: str) -> str:
    """Celery's broker: the same Redis as the checkpoints, in the next database number."""
    parts = urlsplit(redis_url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1}"))


def visibility_timeout_s() -> int:
    """REELFORGE_VISIBILITY_TIMEOUT_S: how long a job may run before Redis hands it to another worker."""
    return int(float(os.environ.get("REELFORGE_VISIBILITY_TIMEOUT_S", DEFAULT_VISIBILITY_TIMEOUT_S)))


def build_app(settings: Settings) -> Celery:
    """The Celery app for `settings.redis_url`, configured for long, resumable graph runs."""
    app = Celery("reelforge")
    timeout = visibility_timeout_s()
    app.conf.update(
        broker_url=broker_url(settings.redis_url or "redis://127.0.0.1:6379/0"),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": timeout,
            # kombu restores unacked jobs of dead workers every interval x throttle seconds (100 s by
            # default); check at a tenth of the visibility timeout instead.
            "unacked_restore_interval": max(1, timeout // 10),
            "unacked_restore_throttle": 1,
        },
    )
    app.task(name=RUN_TASK, bind=True, max_retries=None)(run_job)
    app.task(name=DAILY_TASK)(queue_todays_plan)
    app.task(name=HEALTH_TASK)(check_health)
    return app


def run_job(task: Task, run_id: str) -> dict[str, Any]:
    """Run (or resume) one queued run under its thread lock; retry later while another worker holds it."""
    from graph.queued import execute_queued
    from graph.stores import open_run_index, thread_lock
    from tools.home import RunBusy

    settings = load_settings()
    record = open_run_index(settings).get(run_id)
    if record is None:
        return {"run_id": run_id, "status": "unknown"}
    if record.status == "done":
        return {"run_id": run_id, "status": "done", "video": record.video}
    owner = f"{task.request.hostname or socket.gethostname()}:{os.getpid()}"
    try:
        with thread_lock(settings, record.thread_id, owner):
            return asyncio.run(execute_queued(settings, run_id))
    except RunBusy:
        # The job is running elsewhere (a redelivery of a long job), or its dead worker's lock has not
        # expired yet: come back when it may have.
        raise task.retry(countdown=max(1.0, settings.lock_ttl_s / 2)) from None


def queue_todays_plan() -> list[dict[str, Any]]:
    """Queue today's (UTC) daily plan: beat runs this at the plan's time; done items are not queued again."""
    from datetime import UTC, datetime

    from graph.daily_plan import load_plan
    from graph.queued import queue_daily

    settings = load_settings()
    return queue_daily(settings, load_plan(settings.home), datetime.now(UTC).date())


def check_health() -> dict[str, Any]:
    """Check every model provider and record the results (beat runs this every minute)."""
    from graph.model_status import provider_status

    status = provider_status(load_settings())
    return {"mode": status["mode"], "capabilities": status["capabilities"]}


def beat_schedule(plan_time: str | None, health_every_s: float = 60.0) -> dict[str, dict[str, Any]]:
    """Beat's entries: health checks every `health_every_s`, and the daily plan at its UTC cron time."""
    schedule: dict[str, dict[str, Any]] = {
        "health-checks": {"task": HEALTH_TASK, "schedule": float(health_every_s)},
    }
    if plan_time is not None:
        minute, hour, day_of_month, month_of_year, day_of_week = plan_time.split()
        schedule["daily-plan"] = {
            "task": DAILY_TASK,
            "schedule": crontab(minute, hour, day_of_week, day_of_month, month_of_year),
        }
    return schedule


# `celery -A graph.worker` and `reelforge worker` both load this module; REDIS_URL picks the broker.
app = build_app(load_settings())
