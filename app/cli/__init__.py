"""The `mjrelay` command line: one entry point for every process of the service.

    common.py    exit codes, the one-line error, settings, the database, bounded running
    services.py  up, web, worker, callbacks, migrate: the processes (app/serve.py does the work)
    sandbox.py   sandbox: a local Discord with simulated bots
    account.py   account add/list/enable/disable/import
    keys.py      key add/list/disable/enable/rotate/usage: client API keys
    storage.py   storage check/migrate: the result store against the database

Nothing outside this package imports it; `mjrelay` and `python -m app.cli` call `main`.
"""

from __future__ import annotations

import typer

from app import __version__
from app.cli import account, keys, sandbox, services, storage

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


for _command in (*services.COMMANDS, sandbox.sandbox):
    cli.command()(_command)
cli.add_typer(account.account_cli, name="account")
cli.add_typer(storage.storage_cli, name="storage")
cli.add_typer(keys.key_cli, name="key")


def main() -> None:
    cli()
