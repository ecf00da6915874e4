"""GET /metrics: runs, stage durations, provider calls, cost and queue depth in Prometheus's text format.

Every number is read from the stores at scrape time (the run index, the run events and the usage
ledger), not counted in this process, so it is right in any process that serves it, after a restart,
and with Redis for every worker at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from graph.api.deps import Ops
from graph.operations import Operations
from graph.runs import ACTIVE
from state.events import STAGES, RunEvent
from tools.storage.ledger_records import LATENCY_BOUNDS_S
from tools.storage.run_records import RUN_STATUSES, RunRecord

if TYPE_CHECKING:
    import redis

router = APIRouter(tags=["machine"])

# Stage durations come from the events of this many newest runs (a scrape reads no more run logs).
STAGE_WINDOW = 100
# A preview's stages take a fraction of a second; a long video's composition many minutes.
STAGE_BOUNDS_S: tuple[float, ...] = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
# Celery's default queue and kombu's Redis priority lists beside it (`celery\x06\x163` …).
CELERY_QUEUE = "celery"
_PRIORITY_SEP = "\x06\x16"
_PRIORITIES = (3, 6, 9)
EXPOSITION_EXAMPLE = """# HELP reelforge_runs Runs in the run index by status.
# TYPE reelforge_runs gauge
reelforge_runs{status="done"} 12.0
reelforge_runs{status="running"} 1.0
"""


def stage_durations(events: Iterable[RunEvent]) -> list[tuple[str, float]]:
    """(stage, seconds) for each stage that started and finished in these events, attempt by attempt."""
    started: dict[str, datetime] = {}
    durations: list[tuple[str, float]] = []
    for event in events:
        stage = event.get("stage")
        if not stage:
            continue
        if event["kind"] == "stage_started":
            started[stage] = datetime.fromisoformat(event["ts"])
        elif event["kind"] == "stage_finished" and stage in started:
            seconds = (datetime.fromisoformat(event["ts"]) - started.pop(stage)).total_seconds()
            durations.append((stage, max(0.0, seconds)))
    return durations


class StoreCollector(Collector):
    """Reads the app's stores at each scrape; settled runs' stage durations are kept between scrapes."""

    def __init__(self, ops: Operations) -> None:
        """Collect for the run service and launcher behind `ops`."""
        self.ops = ops
        self.services = ops.service.services
        self._lock = threading.Lock()
        # run id → (updated_at, durations): a settled run's events no longer change until it runs again.
        self._stages: dict[str, tuple[str, list[tuple[str, float]]]] = {}
        self._broker: redis.Redis | None = None

    def collect(self) -> Iterator[Metric]:
        """Every family, read now."""
        with self._lock:
            records = self.ops.service.list_runs(-1)
            yield self._runs(records)
            yield self._stage_histogram(records[:STAGE_WINDOW])
            if self.services.has_ledger():
                yield from self._calls()
                yield from self._costs()
                yield self._health()
            yield from self._queue()

    def _runs(self, records: list[RunRecord]) -> Metric:
        counts = dict.fromkeys(RUN_STATUSES, 0)
        for record in records:
            counts[record.status] = counts.get(record.status, 0) + 1
        family = GaugeMetricFamily("reelforge_runs", "Runs in the run index by status.", labels=["status"])
        for status, count in counts.items():
            family.add_metric([status], count)
        return family

    def _durations_of(self, record: RunRecord) -> list[tuple[str, float]]:
        cached = self._stages.get(record.run_id)
        if cached is not None and cached[0] == record.updated_at:
            return cached[1]
        durations = stage_durations(self.services.event_log(record.run_id).read(0))
        if record.status not in ACTIVE:
            self._stages[record.run_id] = (record.updated_at, durations)
        return durations

    def _stage_histogram(self, records: list[RunRecord]) -> Metric:
        family = HistogramMetricFamily(
            "reelforge_stage_duration_seconds",
            f"Wall time of each orchestrator stage over the newest {STAGE_WINDOW} runs.",
            labels=["stage"],
        )
        observed: dict[str, list[float]] = {stage: [] for stage in STAGES}
        for record in records:
            for stage, seconds in self._durations_of(record):
                observed.setdefault(stage, []).append(seconds)
        listed = {record.run_id for record in records}
        for run_id in [run_id for run_id in self._stages if run_id not in listed]:
            del self._stages[run_id]
        for stage, values in observed.items():
            family.add_metric([stage], _buckets(values, STAGE_BOUNDS_S), sum_value=sum(values))
        return family

    def _calls(self) -> Iterator[Metric]:
        labels = ["provider", "capability"]
        calls = CounterMetricFamily("reelforge_provider_calls", "Model calls per provider.", labels=labels)
        failures = CounterMetricFamily(
            "reelforge_provider_failures", "Model calls that failed, per provider.", labels=labels
        )
        latency = HistogramMetricFamily(
            "reelforge_provider_call_seconds", "Wall time of model calls.", labels=labels
        )
        for stats in self.services.ledger.call_stats():
            key = [stats.provider, stats.capability]
            calls.add_metric(key, stats.calls)
            failures.add_metric(key, stats.failures)
            buckets = [
                (_le(bound), float(n)) for bound, n in zip(LATENCY_BOUNDS_S, stats.buckets, strict=True)
            ]
            latency.add_metric(key, [*buckets, ("+Inf", float(stats.calls))], sum_value=stats.seconds)
        yield from (calls, failures, latency)

    def _costs(self) -> Iterator[Metric]:
        cost = CounterMetricFamily(
            "reelforge_cost_usd", "What model calls cost, per provider.", labels=["provider"]
        )
        savings = CounterMetricFamily(
            "reelforge_savings_usd",
            "What the premium tier would have cost more, per provider.",
            labels=["provider"],
        )
        for row in self.services.ledger.costs("provider"):
            cost.add_metric([row.key], row.cost_usd)
            savings.add_metric([row.key], row.savings_usd)
        yield from (cost, savings)

    def _health(self) -> Metric:
        family = GaugeMetricFamily(
            "reelforge_provider_up",
            "1 when the provider's newest health check passed.",
            labels=["provider", "capability", "tier"],
        )
        for (provider, capability), check in sorted(self.services.ledger.latest_health().items()):
            family.add_metric([provider, capability, check.tier], 1.0 if check.healthy else 0.0)
        return family

    def _queue(self) -> Iterator[Metric]:
        launcher = self.ops.launcher
        depth = GaugeMetricFamily(
            "reelforge_queue_depth", "Runs accepted but not started yet.", labels=["queue"]
        )
        depth.add_metric(["local"], launcher.waiting_here)
        if self.services.uses_redis:
            depth.add_metric(["workers"], self._broker_depth())
        yield depth
        yield GaugeMetricFamily(
            "reelforge_runs_executing_here",
            "Runs executing in this process's pool now.",
            launcher.running_here,
        )

    def _broker_depth(self) -> int:
        """Jobs waiting on the Celery broker (its list and kombu's priority lists)."""
        if self._broker is None:
            import redis

            from graph.worker import broker_url

            self._broker = redis.Redis.from_url(broker_url(self.services.settings.redis_url or ""))
        keys = [CELERY_QUEUE] + [f"{CELERY_QUEUE}{_PRIORITY_SEP}{n}" for n in _PRIORITIES]
        pipe = self._broker.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
        return sum(int(n) for n in pipe.execute())


def _le(bound: float) -> str:
    return repr(float(bound))


def _buckets(values: list[float], bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    """Cumulative `le` buckets of `values`, ending with +Inf."""
    counted = [(_le(bound), float(sum(value <= bound for value in values))) for bound in bounds]
    return [*counted, ("+Inf", float(len(values)))]


def _collector(request: Request, ops: Operations) -> CollectorRegistry:
    """The app's one registry (made at the first scrape), so settled runs are read once."""
    state: Any = request.app.state
    registry: CollectorRegistry | None = getattr(state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(ops))
        state.metrics_registry = registry
    return registry


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The metrics, in the Prometheus text exposition format 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": EXPOSITION_EXAMPLE}},
        }
    },
)
def metrics(request: Request, ops: Ops) -> Response:
    """Prometheus metrics: runs by status, stage durations, provider calls, failures and latency, cost
    and savings per provider, provider health, and queue depth (this process's pool, and the workers'
    queue with Redis)."""
    body = generate_latest(_collector(request, ops))
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
