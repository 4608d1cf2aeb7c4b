"""How many PostgreSQL connections a process may open, checked against the server's room.

Every process keeps its own pool (`MJRELAY_DB_POOL_SIZE`); a worker also keeps the callback
dispatcher's (one connection per attempt in flight: `MJRELAY_CALLBACK_CONCURRENCY` + 3) and a
LISTEN connection. Several workers and web processes on a server with the default
`max_connections=100` can ask for more than it allows, and the connection that does not fit
fails ("too many clients"). At start each process compares its own most with what the server
has left and warns in plain words; nothing is refused (the pools open connections only as
load needs them). docs: README "Database connections".
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0
LISTEN_CONNECTIONS = 1
DISPATCHER_EXTRA = 3  # the claim loop's connection and the dispatcher pool's overflow of 2

_ROOM = text(
    """
    SELECT current_setting('max_connections')::int
               - current_setting('superuser_reserved_connections')::int,
           (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
    """
)


def web_connections(pool_size: int) -> int:
    """The most connections one web process opens."""
    return pool_size + LISTEN_CONNECTIONS


def worker_connections(pool_size: int, callback_concurrency: int) -> int:
    """The most connections one worker process opens (its pool, its dispatcher, LISTEN)."""
    return pool_size + callback_concurrency + DISPATCHER_EXTRA + LISTEN_CONNECTIONS


def budget_warning(process: str, most: int, allowed: int, connected: int) -> str | None:
    """A warning when `most` more connections may not fit beside those `connected`."""
    if connected + most <= allowed:
        return None
    return (
        f"this {process} process may open up to {most} PostgreSQL connections, but the server"
        f" allows {allowed} and {connected} are open: under load some will fail with"
        " 'too many clients'. Lower MJRELAY_DB_POOL_SIZE (or MJRELAY_CALLBACK_CONCURRENCY for"
        " a worker), run fewer processes, or raise the server's max_connections"
    )


async def check_connection_budget(engine: AsyncEngine, process: str, most: int) -> None:
    """Log whether this process's connections fit in the server's room (never raises)."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), engine.connect() as conn:
            allowed, connected = (await conn.execute(_ROOM)).one()
    except Exception as exc:  # a check, never a reason not to start
        log.debug("connection budget not checked: %s", type(exc).__name__)
        return
    warning = budget_warning(process, most, int(allowed), int(connected))
    if warning is not None:
        log.warning(warning)
    else:
        log.info(
            "%s process: up to %d PostgreSQL connections (%d open of %d allowed)",
            process,
            most,
            connected,
            allowed,
        )
