"""The hottest statements on a small asyncpg pool of their own: one prepared statement per
request, no SQLAlchemy checkout and no transaction around it (a single statement is atomic).

Measured on a fetch, SQLAlchemy's checkout and return of a pooled connection cost more Python
time than the statement itself (docs/benchmarks.md, http). So the web process's engine carries
a few connections as a plain asyncpg pool (`attach`, app/web.py), opened as statements need
them, with the same JSON decoding as SQLAlchemy's dialect. The pool does not ping: a statement
that meets a connection the server closed (a PostgreSQL restart ends every backend) is run
once more on a fresh one, so the request after a restart succeeds. An engine without a hot
pool (tools, tests) runs the statement on its own pool's driver connection, invalidating one
the server closed.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain import json_codec

# An idle hot connection is closed after this long (fewer connections held when quiet).
IDLE_CLOSE_S = 60.0
# A connection the server ended fails its next statement with one of these (an ended idle
# connection can leave asyncpg's protocol mid-state: InternalClientError).
_BROKEN = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.PostgresConnectionError,
    ConnectionError,
)


_HOT: weakref.WeakKeyDictionary[Engine, asyncpg.Pool] = weakref.WeakKeyDictionary()


async def _decode_json(conn: asyncpg.Connection) -> None:
    """json and jsonb values as Python objects, as SQLAlchemy's asyncpg dialect gives them."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda value: value, decoder=json_codec.loads, schema="pg_catalog"
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """At release, no reset query: these statements set no session state (a setting they change
    is transaction-local), and asyncpg still rolls back a transaction left open. Its default
    reset (`RESET ALL`, `UNLISTEN *`, …) was one more round trip per statement."""


async def attach(engine: AsyncEngine, dsn: str, size: int) -> None:
    """Give `engine` a hot pool of up to `size` connections to `dsn`, in the running event loop.
    No connection is opened until a statement needs one (a server that is down does not hold a
    process's start)."""
    _HOT[engine.sync_engine] = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=size,
        max_inactive_connection_lifetime=IDLE_CLOSE_S,
        init=_decode_json,
        reset=_keep_session,
    )


def detach(engine: AsyncEngine) -> None:
    """Close the engine's hot pool (its dispose)."""
    pool = _HOT.pop(engine.sync_engine, None)
    if pool is not None:
        pool.terminate()


# `:name` parameters (not the `::type` casts, nor a time's `00:00`).
_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")


def positional(statement: str, names: Sequence[str]) -> str:
    """`:name` placeholders as asyncpg's `$n`, numbered by their place in `names` (a name may be
    used more than once; one that `names` lacks is an error)."""
    position = {name: number for number, name in enumerate(names, start=1)}
    return _NAMED.sub(lambda found: f"${position[found.group(1)]}", statement)


async def fetchrow(engine: AsyncEngine, sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of `sql` (asyncpg `$n` parameters) as a dict, or None."""
    rows = await _run(engine, sql, args, one=True)
    return dict(rows[0]) if rows else None


async def fetch(engine: AsyncEngine, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Every row of `sql` (asyncpg `$n` parameters) as dicts."""
    return [dict(row) for row in await _run(engine, sql, args, one=False)]


async def _run(
    engine: AsyncEngine, sql: str, args: tuple[Any, ...], *, one: bool
) -> list[asyncpg.Record]:
    pool = _HOT.get(engine.sync_engine)
    if pool is None:
        return await _on_engine(engine, sql, args, one=one)
    for attempt in (1, 2):
        try:
            async with pool.acquire() as conn:
                try:
                    return await _execute(conn, sql, args, one=one)
                except _BROKEN:
                    # So the pool opens a fresh one in its place (it may have let it go).
                    with contextlib.suppress(asyncpg.exceptions.InterfaceError):
                        conn.terminate()
                    raise
        except _BROKEN:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _execute(
    conn: asyncpg.Connection, sql: str, args: tuple[Any, ...], *, one: bool
) -> list[asyncpg.Record]:
    if one:
        row = await conn.fetchrow(sql, *args)
        return [row] if row is not None else []
    return list(await conn.fetch(sql, *args))


async def _on_engine(
    engine: AsyncEngine, sql: str, args: tuple[Any, ...], *, one: bool
) -> list[asyncpg.Record]:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        try:
            return await _execute(driver, sql, args, one=one)
        except Exception:
            if driver.is_closed():
                await conn.invalidate()
            raise
