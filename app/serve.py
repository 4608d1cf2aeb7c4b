"""Process runners behind the CLI: web, worker, and `up` (all of them in one process).

Signals are ours, not uvicorn's: SIGINT/SIGTERM set one stop event that the web server and the
worker both watch, so Ctrl-C shuts everything down in order and the embedded server is released;
`app.shutdown` bounds the whole exit and makes a second Ctrl-C exit at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from app import shutdown
from app.api.access import exposure_warnings
from app.config import Settings
from app.web import create_app
from app.worker.main import run_worker
from db import accounts as account_queries
from db import migrations
from db.connection_budget import check_connection_budget, web_connections
from db.database import connected_engine
from db.engine import make_engine

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling (we own the signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _web_server(settings: Settings, database_url: str, host: str) -> _Server:
    config = uvicorn.Config(
        create_app(settings, database_url),
        host=host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        # X-Forwarded-Proto/-For from these proxies make request.url https (Secure cookies).
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    for warning in exposure_warnings(settings, host):
        log.warning(warning)
    return _Server(config)


async def _serve_until(
    server: _Server, stop: asyncio.Event, sockets: list[socket.socket] | None = None
) -> None:
    serving = asyncio.create_task(server.serve(sockets))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    app_stopping = getattr(getattr(server.config.app, "state", None), "stopping", None)
    if app_stopping is not None:
        app_stopping.set()  # end event streams first: shutdown waits for open responses
    server.should_exit = True
    stopping.cancel()
    await serving
    stop.set()  # the server may end by itself (port in use): take the rest down with it


async def migrate(database_url: str) -> str | None:
    async with connected_engine(database_url, pool_size=2) as engine:
        await migrations.upgrade(engine)
        return await migrations.current_revision(engine)


async def _check_web_connections(settings: Settings, database_url: str) -> None:
    """Log whether this web process's connections fit on the server (db/connection_budget.py),
    on a connection of its own, apart from the app's pools."""
    engine = make_engine(database_url, pool_size=2)
    try:
        await check_connection_budget(engine, "web", web_connections(settings.db_pool_size))
    finally:
        await engine.dispose()


async def _serve_web(
    settings: Settings,
    database_url: str,
    host: str,
    stop: asyncio.Event,
    sockets: list[socket.socket] | None = None,
) -> None:
    # In the background: a server that is down must not hold the web process's start.
    budget = asyncio.create_task(_check_web_connections(settings, database_url))
    try:
        await _serve_until(_web_server(settings, database_url, host), stop, sockets)
    finally:
        budget.cancel()


async def run_web(settings: Settings, database_url: str) -> None:
    host = settings.host or "0.0.0.0"
    stop = asyncio.Event()
    shutdown.watch(stop, settings.shutdown_grace_s)
    log.info("web listening", extra={"host": host, "port": settings.port})
    await _serve_web(settings, database_url, host, stop)


async def serve_web_on(
    settings: Settings, database_url: str, host: str, stop: asyncio.Event, sock: socket.socket
) -> None:
    """One of several web processes: serve on the parent's listening socket until `stop`."""
    await _serve_web(settings, database_url, host, stop, [sock])


async def run_worker_process(settings: Settings, database_url: str) -> None:
    stop = asyncio.Event()
    shutdown.watch(stop, settings.shutdown_grace_s)
    await run_worker(settings, database_url, stop)


async def _needs_sandbox(settings: Settings, database_url: str) -> bool:
    if settings.accounts:
        return False
    async with connected_engine(database_url, pool_size=2) as engine, engine.connect() as conn:
        return await account_queries.count_real_accounts(conn) == 0


@contextlib.asynccontextmanager
async def _sandbox_if_needed(settings: Settings, database_url: str) -> AsyncIterator[None]:
    """With no real account, run the local sandbox and register its accounts (sandbox mode)."""
    if not await _needs_sandbox(settings, database_url):
        yield
        return
    from app.sandbox import start_sandbox
    from app.worker.sandbox_accounts import register_sandbox_accounts

    async with start_sandbox(
        host="127.0.0.1", port=0, accounts=settings.sandbox_accounts, speed=settings.sandbox_speed
    ) as sandbox:
        async with connected_engine(database_url, pool_size=2) as engine:
            await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
        yield


async def run_up(settings: Settings, database_url: str) -> None:
    """Migrate, then web + worker (+ the sandbox without real accounts) until Ctrl-C."""
    stop = asyncio.Event()
    shutdown.watch(stop, settings.shutdown_grace_s)
    await migrate(database_url)
    host = settings.host or "127.0.0.1"
    async with _sandbox_if_needed(settings, database_url):
        worker = asyncio.create_task(run_worker(settings, database_url, stop))
        log.info("mjrelay up", extra={"url": f"http://{host}:{settings.port}"})
        try:
            await _serve_until(_web_server(settings, database_url, host), stop)
        finally:
            stop.set()
            await worker
