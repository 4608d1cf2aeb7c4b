"""Prometheus metrics of callback delivery, on the process registry (`app.metrics.REGISTRY`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from app.metrics import REGISTRY

ATTEMPTS = Counter(
    "mjrelay_callback_attempts",
    "Callback attempts, by outcome (delivered, http_error, redirect, gone, timeout, …).",
    ["outcome"],
    registry=REGISTRY,
)
FAILURES = Counter(
    "mjrelay_callback_failures",
    "Callback attempts that did not deliver, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
FINISHED = Counter(
    "mjrelay_callback_deliveries_finished",
    "Deliveries that left the queue, by final status (delivered, failed, gone, disabled).",
    ["status"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "mjrelay_callback_queue_depth",
    "Deliveries waiting: all pending ones, and those already due.",
    ["state"],
    registry=REGISTRY,
)
OLDEST_DUE = Gauge(
    "mjrelay_callback_oldest_due_seconds",
    "How long the oldest due delivery has been waiting for its attempt.",
    registry=REGISTRY,
)
LAG = Histogram(
    "mjrelay_callback_lag_seconds",
    "Delay between when an attempt was due and when it started.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
    registry=REGISTRY,
)
ATTEMPT_SECONDS = Histogram(
    "mjrelay_callback_attempt_seconds",
    "Duration of one callback attempt (connect, send, first 16 KB of the answer).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
    registry=REGISTRY,
)
