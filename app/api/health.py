"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.errors import DatabaseUnavailable
from app.metrics import READY, observe_system, render
from db import migrations
from db.database import ping
from db.stats import system_stats

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving; says nothing about its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is at the newest migration."""
    engine = request.app.state.engine
    try:
        await ping(engine)
        revision = await migrations.current_revision(engine)
    except DatabaseUnavailable as exc:
        READY.set(0)
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    head = migrations.head_revision()
    if revision != head:
        READY.set(0)
        reason = (
            f"database schema at {revision or 'nothing'}, expected {head}: run `mjrelay migrate`"
        )
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    READY.set(1)
    return JSONResponse({"status": "ok", "revision": revision})


async def metrics(request: Request) -> Response:
    """This process's metrics plus database-wide gauges read now (tasks, accounts, callbacks)."""
    try:
        async with request.app.state.engine.connect() as conn:
            observe_system(await system_stats(conn))
    except (OSError, DBAPIError):
        log.warning("metrics: database unavailable; serving process metrics only")
    body, content_type = render()
    return Response(body, media_type=content_type)
