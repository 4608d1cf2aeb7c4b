"""The Starlette application factory for the web process: every dialect's API, the dashboard,
health and metrics in one app (above app.api and app.dashboard, which both stay unaware of it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app import dashboard
from app.api import deliveries, health, routing
from app.api.endpoint import loggable_path
from app.config import Settings
from app.dashboard.headers import SecurityHeaders
from app.storage.store import ObjectStore
from db import driver
from db.engine import make_engine
from db.urls import asyncpg_dsn

log = logging.getLogger(__name__)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Never a traceback to a client; the log line carries it (redacted) for operators.
    log.error("unhandled error on %s %s", request.method, loggable_path(request), exc_info=exc)
    return JSONResponse({"error": "internal error"}, status_code=500)


def create_app(settings: Settings, database_url: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Half the connections serve the hottest statements (fetch, a key's lookup) on a plain
        # asyncpg pool (db/driver.py), half everything else through SQLAlchemy.
        hot = settings.db_pool_size // 2
        app.state.engine = make_engine(database_url, pool_size=settings.db_pool_size - hot)
        await driver.attach(app.state.engine, asyncpg_dsn(database_url), hot)
        app.state.store = ObjectStore(
            settings.storage_location(),
            public_url=settings.storage_public_url,
            presign_s=settings.storage_presign_s,
        )
        try:
            yield
        finally:
            driver.detach(app.state.engine)
            await app.state.engine.dispose()

    routes = [
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", health.metrics, methods=["GET"]),
        *routing.api_routes(settings),  # the hot ones first: routes are tried in order
        *deliveries.ROUTES,
        *dashboard.routes(database_url),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={Exception: _unhandled, **routing.EXCEPTION_HANDLERS},
        middleware=[Middleware(SecurityHeaders)],
    )
    app.state.settings = settings
    # Set by the server runner when shutdown begins: long-lived streams end on it.
    app.state.stopping = asyncio.Event()
    return app
