from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from db import migrations
from db.engine import make_engine
from db.tables import metadata


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrations_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url, pool_size=2)
    try:
        await migrations.upgrade(engine)
        assert await migrations.is_at_head(engine)
        assert {"accounts", "tasks", "task_events", "deliveries"} <= await _tables(engine)

        await migrations.downgrade(engine, "base")
        assert await migrations.current_revision(engine) is None
        assert await _tables(engine) <= {"alembic_version"}

        await migrations.upgrade(engine)
        assert await migrations.is_at_head(engine)
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_table_definitions(engine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata
            )
        )
    assert diff == []


async def test_upgrade_is_idempotent(engine) -> None:
    await migrations.upgrade(engine)
    async with engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM alembic_version"))
    assert count == 1
