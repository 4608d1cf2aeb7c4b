"""Prometheus metrics: one registry per process, rendered by the web process at `/metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app.domain.status import FINAL_STATUSES, TaskStatus
from db.stats import KeyStats, SystemStats

REGISTRY = CollectorRegistry(auto_describe=True)

TASKS = Gauge(
    "mjrelay_tasks",
    "Unfinished tasks in the database by status (all processes' work; saturates at 100000).",
    ["status"],
    registry=REGISTRY,
)
TASKS_ESTIMATE = Gauge(
    "mjrelay_tasks_stored_estimate",
    "Tasks stored, finished ones included: PostgreSQL's estimate (pg_class.reltuples).",
    registry=REGISTRY,
)
ACCOUNTS = Gauge(
    "mjrelay_accounts",
    "Discord accounts by health (ok, reconnecting, disabled).",
    ["health"],
    registry=REGISTRY,
)
DELIVERIES_DUE = Gauge(
    "mjrelay_callbacks_due",
    "Callback deliveries due now and not yet delivered (every dispatcher's backlog).",
    registry=REGISTRY,
)
DELIVERIES_OLDEST_DUE = Gauge(
    "mjrelay_callbacks_oldest_due_seconds",
    "How long the oldest due callback delivery has waited.",
    registry=REGISTRY,
)
KEY_TASKS = Gauge(
    "mjrelay_key_tasks",
    "Tasks a client key created, in all (key: its name; beyond the 50 busiest, '_other').",
    ["key"],
    registry=REGISTRY,
)
KEY_TASKS_TODAY = Gauge(
    "mjrelay_key_tasks_today",
    "Tasks a client key created today (UTC).",
    ["key"],
    registry=REGISTRY,
)
KEY_UNFINISHED = Gauge(
    "mjrelay_key_unfinished_tasks",
    "A client key's tasks that have not finished (its concurrency).",
    ["key"],
    registry=REGISTRY,
)
READY = Gauge(
    "mjrelay_ready",
    "1 when the last readiness check found the database reachable and migrated.",
    registry=REGISTRY,
)


# Finished statuses (SUCCESS, FAILURE, CANCEL) are not counted: that would read the history.
TASK_STATUSES = tuple(s.value for s in TaskStatus if s not in FINAL_STATUSES)
HEALTHS = ("ok", "reconnecting", "disabled")


def observe_system(stats: SystemStats) -> None:
    """Set the database-wide gauges (the worker's own counters live in its process)."""
    for status in {*TASK_STATUSES, *stats.tasks_by_status}:
        TASKS.labels(status=status).set(stats.tasks_by_status.get(status, 0))
    for health in {*HEALTHS, *stats.accounts_by_health}:
        ACCOUNTS.labels(health=health).set(stats.accounts_by_health.get(health, 0))
    TASKS_ESTIMATE.set(stats.tasks_estimate)
    DELIVERIES_DUE.set(stats.deliveries_pending)
    DELIVERIES_OLDEST_DUE.set(stats.oldest_due_delivery_s)
    observe_keys(stats.keys)


def observe_keys(keys: tuple[KeyStats, ...]) -> None:
    for gauge in (KEY_TASKS, KEY_TASKS_TODAY, KEY_UNFINISHED):
        gauge.clear()  # a deleted or no longer busiest key leaves no stale series
    for key in keys:
        KEY_TASKS.labels(key=key.name).set(key.tasks_total)
        KEY_TASKS_TODAY.labels(key=key.name).set(key.tasks_today)
        KEY_UNFINISHED.labels(key=key.name).set(key.unfinished)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
