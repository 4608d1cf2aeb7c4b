"""What every command shares: exit codes, the error line, settings, the database, running.

Exit codes (README "Exit codes"): 0 done, 1 failed, 2 invalid input or setting, 130 a second
Ctrl-C (`app.shutdown`). An error is one line on stderr, `mjrelay: error: …`, never a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import shutdown
from app.config import Settings, load_settings
from app.errors import DatabaseUnavailable, MjRelayError
from app.logs import configure_logging
from db import migrations
from db.database import DatabaseHandle, connected_engine, open_database
from db.urls import redacted

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_INVALID = 2


def fail(message: object, code: int = EXIT_FAILED) -> NoReturn:
    """Print `mjrelay: error: <message>` on stderr and exit with `code`."""
    typer.echo(f"mjrelay: error: {message}", err=True)
    raise typer.Exit(code)


def invalid(message: object) -> NoReturn:
    """Bad input or a bad setting: exit code 2."""
    fail(message, EXIT_INVALID)


def settings_only() -> Settings:
    """The settings, or exit 2 naming the bad one."""
    try:
        return load_settings()
    except MjRelayError as exc:
        invalid(exc)


def load_cli_settings(*, quiet: bool = False) -> Settings:
    """Settings, and logging set up (always on stderr). `quiet` commands (one-shot, with output
    of their own) log warnings and errors only, unless MJRELAY_LOG_LEVEL asks for debug."""
    settings = settings_only()
    level = "warning" if quiet and settings.log_level == "info" else settings.log_level
    configure_logging(level, settings.log_format, settings.secrets())
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[DatabaseHandle]:
    """The configured database (the embedded one unless DATABASE_URL), released on any exit."""
    try:
        handle = open_database(settings.database_url, settings.data_dir)
    except MjRelayError as exc:
        fail(exc)
    try:
        with shutdown.cleanup_on_force(handle.close):
            yield handle
    finally:
        handle.close()


def run_once(
    handle: DatabaseHandle,
    work: Coroutine[Any, Any, T],
    failures: tuple[type[Exception], ...] = (),
) -> T:
    """Run a one-shot command's `work` on `handle`'s database to its end. An mjrelay error (or
    one of `failures`) or a database error exits 1 with one line, the URL without its password."""
    refused: tuple[type[Exception], ...] = (MjRelayError, *failures)
    try:
        return asyncio.run(work)
    except refused as exc:
        fail(exc)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        fail(f"database {redacted(handle.url)}: {reason}")


async def ensure_schema(engine: AsyncEngine, embedded: bool) -> None:
    """The embedded database is ours: migrate it, as `mjrelay up` would. An external one is
    migrated by its release step (`mjrelay migrate`); say so instead of touching it."""
    revision, head = await migrations.current_revision(engine), migrations.head_revision()
    if revision == head:
        return
    if not embedded:
        raise DatabaseUnavailable(
            f"the database schema is at {revision or 'nothing'}, expected {head}:"
            " run `mjrelay migrate` first"
        )
    try:
        await migrations.upgrade(engine)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseUnavailable(f"could not migrate the embedded database: {reason}") from None


def with_connection(work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` in one transaction on the configured database, its schema made current first
    (the one-shot commands: account, key)."""
    with database(load_cli_settings(quiet=True)) as handle:

        async def run() -> T:
            async with connected_engine(handle.url, pool_size=2) as engine:
                await ensure_schema(engine, embedded=handle.embedded is not None)
                async with engine.begin() as conn:
                    return await work(conn)

        return run_once(handle, run())


def run(make: Callable[[], Coroutine[Any, Any, object]]) -> object:
    """Run a long-lived coroutine with bounded shutdown; a service error exits 1."""
    try:
        return shutdown.run(make())
    except MjRelayError as exc:
        fail(exc)
    except KeyboardInterrupt:
        return None
