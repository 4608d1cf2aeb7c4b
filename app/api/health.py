"""Liveness, readiness and metrics endpoints (open: they show no task, host or user)."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import DatabaseUnavailable
from app.metrics import READY, observe_system, render
from app.storage.store import ObjectStore, StorageError
from db import migrations
from db.database import ping
from db.stats import system_stats

log = logging.getLogger(__name__)

# Several scrapers (or a fast one) share one read of the database gauges per this many seconds.
STATS_MAX_AGE_S = 5.0
# How long the result store may take to answer a readiness probe (its own retries are longer).
STORE_PROBE_S = 5.0
PROBE_KEY = "readyz-probe"  # never written: a HEAD of it only shows the store answers


async def _store_answers(store: ObjectStore) -> bool:
    try:
        await asyncio.wait_for(store.exists(PROBE_KEY), STORE_PROBE_S)
    except (StorageError, TimeoutError) as exc:
        log.warning("readiness: the result store does not answer (%s)", type(exc).__name__)
        return False
    return True


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers, its schema is at the newest migration, and the result
    store answers (a missing object is an answer; an error or silence is not)."""
    engine = request.app.state.engine
    try:
        await ping(engine)
        revision = await migrations.current_revision(engine)
    except DatabaseUnavailable as exc:
        READY.set(0)
        # The detail names the database host and user: for the log, not for anyone who asks.
        log.warning("readiness: %s", exc)
        reason = "the database does not answer (the web process log has the details)"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    head = migrations.head_revision()
    if revision != head:
        READY.set(0)
        reason = (
            f"database schema at {revision or 'nothing'}, expected {head}: run `mjrelay migrate`"
        )
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    if not await _store_answers(request.app.state.store):
        READY.set(0)
        reason = "the result store does not answer (the web process log has the details)"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    READY.set(1)
    return JSONResponse({"status": "ok", "revision": revision})


async def metrics(request: Request) -> Response:
    """This process's metrics plus database-wide gauges (tasks, accounts, callbacks), read with
    bounded queries at most every STATS_MAX_AGE_S seconds (see db/stats.py)."""
    state, now = request.app.state, time.monotonic()
    read_at = getattr(state, "stats_read_at", None)
    if read_at is None or now - read_at >= STATS_MAX_AGE_S:
        state.stats_read_at = now
        try:
            async with state.engine.connect() as conn:
                observe_system(await system_stats(conn))
        except (OSError, DBAPIError):
            log.warning("metrics: database unavailable; serving process metrics only")
    body, content_type = render()
    return Response(body, media_type=content_type)
