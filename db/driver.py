"""The hottest reads on the driver's own connection: one asyncpg prepared statement, no
SQLAlchemy statement execution and no transaction around it (a single statement is atomic).

A pooled connection is checked out as usual (db/engine.py pings it after a rest). The driver's
errors bypass SQLAlchemy, so a connection the server closed is invalidated here, as SQLAlchemy
does for its own statements: the next checkout opens a fresh one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine


async def fetchrow(engine: AsyncEngine, sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of `sql` (asyncpg `$n` parameters) as a dict, or None."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        try:
            row = await driver.fetchrow(sql, *args)
        except Exception:
            if driver.is_closed():
                await conn.invalidate()
            raise
    return dict(row) if row is not None else None
