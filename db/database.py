"""Where a process's database comes from: `DATABASE_URL`, or the embedded server when unset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.errors import DatabaseUnavailable
from db.embedded import DEFAULT_DATABASE, EmbeddedPostgres
from db.engine import make_engine
from db.urls import redacted, sqlalchemy_url

CONNECT_TIMEOUT_S = 10.0


@dataclass
class DatabaseHandle:
    """The URL every part of this process uses, and the embedded server if we started one."""

    url: str
    embedded: EmbeddedPostgres | None = None

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def open_database(database_url: str | None, data_dir: Path) -> DatabaseHandle:
    """Validate `database_url`, or start (or join) the embedded server under `data_dir`."""
    if database_url:
        try:
            sqlalchemy_url(database_url)
        except ValueError as exc:
            raise DatabaseUnavailable(f"DATABASE_URL: {exc}") from None
        return DatabaseHandle(url=database_url)
    embedded = EmbeddedPostgres(data_dir)
    embedded.start()
    try:
        embedded.ensure_database(DEFAULT_DATABASE)
    except Exception as exc:
        embedded.stop()
        raise DatabaseUnavailable(f"could not create the embedded database: {exc}") from exc
    return DatabaseHandle(url=embedded.url(DEFAULT_DATABASE), embedded=embedded)


async def ping(engine: AsyncEngine) -> None:
    """Raise DatabaseUnavailable with a one-line reason unless `SELECT 1` answers in time."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, TimeoutError, DBAPIError, InterfaceError, OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] or type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot reach the database at {redacted(str(engine.url))}: {reason}"
        ) from None


@asynccontextmanager
async def connected_engine(url: str, *, pool_size: int = 20) -> AsyncIterator[AsyncEngine]:
    """An engine that has answered a ping; disposed on exit."""
    engine = make_engine(url, pool_size=pool_size)
    try:
        await ping(engine)
        yield engine
    finally:
        await engine.dispose()
