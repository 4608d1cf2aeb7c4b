"""Alembic environment: async engine, one advisory lock so concurrent starts migrate once."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.tables import metadata

# Any constant works; it only has to be the same for every mjrelay process.
MIGRATION_LOCK_ID = 0x6D6A72656C6179


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def _run_with_new_engine(url: str) -> None:
    from db.engine import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    # `db.migrations` hands us an open connection; the alembic CLI gives only a URL.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    import os

    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set (or use `mjrelay migrate`)")
    asyncio.run(_run_with_new_engine(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
