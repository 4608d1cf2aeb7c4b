"""The `mjrelay` command line: one entry point for every process of the service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from app import __version__, shutdown
from app.config import Settings, load_settings
from app.errors import MjRelayError
from app.logs import configure_logging
from db.database import DatabaseHandle, open_database

cli = typer.Typer(
    name="mjrelay",
    help="mjrelay: an HTTP bridge to the Midjourney and Pika bots on Discord.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: flags shown as flags (`--version`), not `<bool>`
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mjrelay {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """mjrelay: an HTTP bridge to the Midjourney and Pika bots on Discord."""


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"mjrelay: error: {message}", err=True)
    raise typer.Exit(code)


def load_cli_settings(*, quiet: bool = False) -> Settings:
    """Settings, and logging set up (always on stderr). `quiet` commands (one-shot, with output
    of their own) log warnings and errors only, unless MJRELAY_LOG_LEVEL asks for debug."""
    try:
        settings = load_settings()
    except MjRelayError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable: _fail exits
    level = "warning" if quiet and settings.log_level == "info" else settings.log_level
    configure_logging(level, settings.log_format, settings.secrets())
    return settings


@contextmanager
def _database(settings: Settings) -> Iterator[DatabaseHandle]:
    try:
        handle = open_database(settings.database_url, settings.data_dir)
    except MjRelayError as exc:
        _fail(str(exc))
        raise
    try:
        with shutdown.cleanup_on_force(handle.close):
            yield handle
    finally:
        handle.close()


def _run(make: Callable[[], Coroutine[Any, Any, object]]) -> object:
    try:
        return shutdown.run(make())
    except MjRelayError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        return None
    return None


@cli.command()
def up() -> None:
    """Everything in one process: database (embedded unless DATABASE_URL), migrate, web, worker."""
    from app.serve import run_up

    settings = load_cli_settings()
    with _database(settings) as db:
        _run(lambda: run_up(settings, db.url))


@cli.command()
def web() -> None:
    """The HTTP API on $PORT (host from MJRELAY_HOST, default 0.0.0.0)."""
    from app.serve import run_web

    settings = load_cli_settings()
    with _database(settings) as db:
        _run(lambda: run_web(settings, db.url))


@cli.command()
def worker() -> None:
    """The supervisor: Discord accounts, task leasing and callback delivery."""
    from app.serve import run_worker_process

    settings = load_cli_settings()
    with _database(settings) as db:
        _run(lambda: run_worker_process(settings, db.url))


@cli.command()
def migrate() -> None:
    """Upgrade the database schema to the newest migration (alembic upgrade head)."""
    from app.serve import migrate as run_migrate

    settings = load_cli_settings()
    with _database(settings) as db:
        revision = _run(lambda: run_migrate(db.url))
        typer.echo(f"database at revision {revision}")


@cli.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(8790, help="Port for gateway, REST and CDN (0: any free port)."),
    accounts: int = typer.Option(2, min=1, max=50, help="How many fake accounts to create."),
    speed: str = typer.Option("fast", help="Bot speed: realistic, fast or instant."),
    seed: int = typer.Option(0, help="Seed for accounts, ids and images."),
) -> None:
    """A local Discord with simulated Midjourney and Pika bots (see docs/sandbox.md)."""
    from app.sandbox import SPEEDS
    from app.sandbox.server import serve_forever

    if speed not in SPEEDS:
        _fail(f"--speed must be one of {', '.join(SPEEDS)}", code=2)

    def announce(base_url: str, lines: list[str]) -> None:
        typer.echo(f"mjrelay sandbox on {base_url} (REST {base_url}/api/v9, speed {speed})")
        typer.echo("accounts (sandbox-only fake tokens):")
        for line in lines:
            typer.echo(f"  {line}")

    try:
        grace_s = load_settings().shutdown_grace_s
    except MjRelayError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable: _fail exits

    async def serve() -> None:
        stop = asyncio.Event()
        shutdown.watch(stop, grace_s)  # bounded: a bot drawing a huge prompt cannot hold Ctrl-C
        await serve_forever(host, port, accounts, speed, seed, announce, stop)

    try:
        _run(serve)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc}")


def _register_subcommands() -> None:
    from app.account_cli import account_cli

    cli.add_typer(account_cli, name="account")


_register_subcommands()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
