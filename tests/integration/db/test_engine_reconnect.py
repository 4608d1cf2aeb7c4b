"""The engine without pre-ping: a connection whose server side went away (as after a PostgreSQL
restart, which ends every backend) is replaced, so a request after it succeeds."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import make_engine

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    admin = make_engine(url, pool_size=2)
    try:
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_rested_connection_killed_by_the_server_is_replaced_at_checkout(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=2, idle_ping_s=0.05)
    try:
        old = await _backend_pid(engine)
        await _terminate(database_url, old)
        await asyncio.sleep(0.1)  # the pooled connection rests past idle_ping_s
        # The first request after the "restart" succeeds, on a new backend.
        assert await _backend_pid(engine) != old
    finally:
        await engine.dispose()


async def test_a_busy_connection_killed_by_the_server_fails_once_then_the_pool_recovers(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=4, idle_ping_s=3600)  # never pinged
    try:
        old = await _backend_pid(engine)
        await _terminate(database_url, old)
        await asyncio.sleep(0.05)
        with pytest.raises(DBAPIError) as caught:
            await _backend_pid(engine)
        assert caught.value.connection_invalidated
        assert await _backend_pid(engine) != old
    finally:
        await engine.dispose()


async def test_connections_in_steady_use_are_not_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url, pool_size=2)
    pings: list[int] = []
    try:
        async with engine.connect() as conn:
            adapted = type((await conn.get_raw_connection()).dbapi_connection)
        original = adapted.ping
        monkeypatch.setattr(adapted, "ping", lambda self: pings.append(1) or original(self))
        for _ in range(3):
            await _backend_pid(engine)
        assert pings == []
        rested = make_engine(database_url, pool_size=2, idle_ping_s=0.0)
        try:
            await _backend_pid(rested)
            await _backend_pid(rested)
        finally:
            await rested.dispose()
        assert pings == [1]  # the check does see a ping when one is due
    finally:
        await engine.dispose()
