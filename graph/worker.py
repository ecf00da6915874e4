"""The Celery door: a worker that runs queued jobs from Redis, one thread at a time, and the beat schedule.

Settings measured here for graphs under Celery 5.7: late acks and reject-on-worker-lost (a job whose worker
dies is redelivered), prefetch 1 (a busy worker holds no second job), a visibility timeout longer than the
longest job, a sync task that runs the graph on its own event loop (native async tasks fail to
serialise), async clients made inside the task, and a per-thread lock so a redelivered job never runs
beside its original.
A run that stops at a gate ends its job: it holds no worker and no lock while it waits.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery, Task
from celery.schedules import crontab

from graph.services import Services, open_services
from graph.settings import Settings, load_settings

RUN_TASK = "reelforge.run"
DAILY_TASK = "reelforge.daily"
HEALTH_TASK = "reelforge.health"


def broker_url(redis_url: str) -> str:
    """Celery's broker: the same Redis as the checkpoints, in the next database number."""
    parts = urlsplit(redis_url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + 1}"))


def build_app(settings: Settings) -> Celery:
    """A Celery app for `settings.redis_url`, configured for long, resumable graph runs."""
    return _configure(Celery("reelforge"), settings)


def _configure(app: Celery, settings: Settings) -> Celery:
    timeout = settings.visibility_timeout_s
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


# The settings this process's worker runs with: the CLI's (flags included), else the environment's.
_settings: list[Settings] = []


def use_settings(settings: Settings) -> Celery:
    """Run this process's worker with `settings` (before it starts); return the configured app."""
    _settings[:] = [settings]
    worker_services.cache_clear()
    return _configure(app, settings)


@cache
def worker_services() -> Services:
    """This worker process's services, opened once (the Redis pool outlives each job's event loop)."""
    services = open_services(_settings[0] if _settings else load_settings())
    services.start_logging()
    return services


def run_job(task: Task, run_id: str, answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run, resume or answer one queued run under its thread lock; retry while another worker holds it."""
    from graph.runs import RunService, run_loop
    from tools.home import RunBusy

    service = RunService(worker_services(), owner=task.request.hostname or "worker")
    record = service.find(run_id)
    if record is None:
        return {"run_id": run_id, "status": "unknown"}
    if record.status in ("done", "rejected") or (record.status == "waiting" and answer is None):
        return {"run_id": run_id, "status": record.status}
    try:
        with asyncio.Runner(loop_factory=run_loop) as runner:  # threads for every scene at once
            outcome = runner.run(service.execute(run_id, answer=answer, lock_wait_s=0.0))
    except RunBusy:
        # The job is running elsewhere (a redelivery of a long job), or its dead worker's lock has not
        # expired yet: come back when it may have.
        raise task.retry(countdown=max(1.0, service.settings.lock_ttl_s / 2)) from None
    return {"run_id": run_id, "status": outcome.status}


def queue_todays_plan() -> list[dict[str, Any]]:
    """Queue today's (UTC) daily plan: beat runs this at the plan's time; done items are not queued again."""
    from datetime import UTC, datetime

    from graph.daily_plan import load_plan
    from graph.daily_run import queue_daily
    from graph.runs import SyncRunService

    services = worker_services()
    runs = SyncRunService(services, owner="beat")
    return queue_daily(runs, load_plan(services.settings), datetime.now(UTC).date())


def check_health() -> dict[str, Any]:
    """Check every model provider and record the results (beat runs this every minute)."""
    from graph.model_status import provider_status

    status = provider_status(worker_services())
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


# `celery -A graph.worker` loads this module and its settings from the environment; `reelforge worker`
# then calls use_settings() with the ones its flags gave.
app = build_app(load_settings())
