"""The Celery app's settings and the beat schedule, as the worker and the scheduler get them."""

from __future__ import annotations

from datetime import UTC, datetime

from celery.schedules import crontab

from graph.settings import load_settings
from graph.worker import DAILY_TASK, HEALTH_TASK, RUN_TASK, beat_schedule, broker_url, build_app


def test_the_broker_is_the_next_database_of_the_same_redis():
    assert broker_url("redis://:pw@redis.lan:6379/0") == "redis://:pw@redis.lan:6379/1"
    assert broker_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/1"
    assert broker_url("redis://127.0.0.1:6379/4") == "redis://127.0.0.1:6379/5"


def test_the_app_acks_late_rejects_on_worker_loss_and_prefetches_one(tmp_path, monkeypatch):
    monkeypatch.setenv("REELFORGE_VISIBILITY_TIMEOUT_S", "600")
    app = build_app(load_settings(home=tmp_path, redis_url="redis://127.0.0.1:6379/2"))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_url == "redis://127.0.0.1:6379/3"
    assert conf.broker_transport_options["visibility_timeout"] == 600
    # A dead worker's job is looked for every tenth of the timeout, not every 100 s (kombu's default).
    assert conf.broker_transport_options["unacked_restore_interval"] == 60
    assert {RUN_TASK, DAILY_TASK, HEALTH_TASK} <= set(app.tasks)


def test_beat_runs_the_plan_at_its_utc_cron_time_and_the_health_checks_every_minute():
    schedule = beat_schedule("30 5 * * 1-5", 60)
    plan = schedule["daily-plan"]
    assert plan["task"] == DAILY_TASK
    cron = plan["schedule"]
    assert isinstance(cron, crontab)
    assert cron.minute == {30} and cron.hour == {5} and cron.day_of_week == {1, 2, 3, 4, 5}
    monday_0529 = datetime(2026, 11, 30, 5, 29, tzinfo=UTC)
    assert cron.remaining_estimate(monday_0529).total_seconds() <= 60
    assert schedule["health-checks"] == {"task": HEALTH_TASK, "schedule": 60.0}


def test_without_a_plan_beat_still_runs_the_health_checks():
    assert beat_schedule(None) == {"health-checks": {"task": HEALTH_TASK, "schedule": 60.0}}
