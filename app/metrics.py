"""Prometheus metrics: one registry per process, rendered by the web process at `/metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "mjrelay_http_requests",
    "HTTP requests answered, by route template and status code.",
    ["route", "status"],
    registry=REGISTRY,
)
READY = Gauge(
    "mjrelay_ready",
    "1 when the last readiness check found the database reachable and migrated.",
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
