"""The long-running processes of the service: `up`, `web`, `worker`, `callbacks`, and `migrate`.

Each loads the settings, opens the database and hands over to `app.serve`, imported late so that
`mjrelay --help` and the one-shot commands do not load the web and worker stacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import typer

from app import shutdown
from app.cli.common import database, invalid, load_cli_settings, run
from app.config import Settings


def _serve(start: Callable[[Settings, str], Coroutine[Any, Any, None]]) -> None:
    settings = load_cli_settings()
    with database(settings) as db:
        run(lambda: start(settings, db.url))


def up() -> None:
    """Everything in one process: database (embedded unless DATABASE_URL), migrate, web, worker."""
    from app.serve import run_up

    _serve(run_up)


def web(
    workers: int = typer.Option(
        None,
        "--workers",
        min=1,
        max=64,
        help="Web processes sharing the port (default: $WEB_CONCURRENCY, else 1).",
    ),
) -> None:
    """The HTTP API on $PORT (host from MJRELAY_HOST, default 0.0.0.0)."""
    from app.serve import run_web
    from app.web_processes import run_web_processes

    settings = load_cli_settings()
    if workers is not None:
        settings = replace(settings, web_concurrency=workers)
    start = run_web_processes if settings.web_concurrency > 1 else run_web
    with database(settings) as db:
        run(lambda: start(settings, db.url))


def worker() -> None:
    """The supervisor: Discord accounts, task leasing and callback delivery."""
    from app.serve import run_worker_process

    _serve(run_worker_process)


def callbacks() -> None:
    """Only the callback dispatcher (the worker runs one too), to scale it apart; DATABASE_URL."""
    from app.callbacks.dispatcher import run_dispatcher  # not app.serve: starts fast, stays small

    settings = load_cli_settings()
    if not settings.database_url:
        invalid("DATABASE_URL is not set (a separate dispatcher needs a shared database)")
    database_url = settings.database_url

    async def dispatch() -> None:
        stop = asyncio.Event()
        shutdown.watch(stop, settings.shutdown_grace_s)
        await run_dispatcher(settings.callback_config(), database_url, stop)

    run(dispatch)


def migrate() -> None:
    """Upgrade the database schema to the newest migration (alembic upgrade head)."""
    from app.serve import migrate as run_migrate

    settings = load_cli_settings()
    with database(settings) as db:
        revision = run(lambda: run_migrate(db.url))
        typer.echo(f"database at revision {revision}")


COMMANDS = (up, web, worker, callbacks, migrate)
