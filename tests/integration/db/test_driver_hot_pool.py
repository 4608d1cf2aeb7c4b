"""The hot statements' own asyncpg pool (db/driver.py): rows as SQLAlchemy gives them, and a
statement that meets a connection the server ended is run again on a fresh one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db import driver
from db.engine import make_engine
from db.urls import asyncpg_dsn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_rows_decode_json_and_survive_a_server_ended_connection(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    await driver.attach(engine, asyncpg_dsn(database_url), 2)
    try:
        sql = "SELECT pg_backend_pid() AS pid, CAST($1 AS jsonb) AS doc"
        first = await driver.fetchrow(engine, sql, '{"a": [1, 2]}')
        assert first is not None and first["doc"] == {"a": [1, 2]}
        async with engine.connect() as conn:  # as a PostgreSQL restart does to every backend
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first["pid"]})
        again = await driver.fetchrow(engine, sql, "null")
        assert again is not None and again["pid"] != first["pid"] and again["doc"] is None
    finally:
        driver.detach(engine)
        await engine.dispose()


async def test_an_engine_without_a_hot_pool_runs_on_its_own(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    try:
        row = await driver.fetchrow(engine, "SELECT CAST($1 AS jsonb) AS doc", '{"b": true}')
        assert row == {"doc": {"b": True}}
    finally:
        await engine.dispose()
