"""`mjrelay account …`: manage real Discord accounts. Tokens are read hidden, never printed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from app.accounts import (
    DEFAULT_QUEUE_SIZE,
    AccountSpec,
    parse_discordxy_config,
    spec_from_mapping,
)
from app.cli.common import fail, invalid, with_connection
from db import accounts as account_queries

account_cli = typer.Typer(
    help="Manage the Discord accounts mjrelay drives.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: flags shown as flags, not `<bool>`
)


def _read_token(token_stdin: bool) -> str:
    if token_stdin:
        return sys.stdin.readline().strip()
    return str(typer.prompt("Discord token", hide_input=True)).strip()


@account_cli.command("add")
def add(
    guild_id: str = typer.Option(..., "--guild-id", help="The server (guild) id."),
    channel_id: str = typer.Option(..., "--channel-id", help="The channel the bot works in."),
    account_id: str = typer.Option(None, "--id", help="Account id (default: the channel id)."),
    name: str = typer.Option("", help="A name to recognise it by."),
    bot: list[str] = typer.Option(["mj"], "--bot", help="mj, niji and/or pika (repeatable)."),
    mode: str = typer.Option("fast", help="fast, relax or turbo."),
    concurrency: int = typer.Option(3, help="Jobs running at once on this account."),
    queue_size: int = typer.Option(
        DEFAULT_QUEUE_SIZE, help="Jobs waiting for this account at most (novicezk's default: 10)."
    ),
    timeout_minutes: int = typer.Option(10, help="A job running longer than this fails."),
    user_agent: str = typer.Option(None, help="The browser User-Agent the token was made with."),
    token_stdin: bool = typer.Option(False, help="Read the token from standard input."),
) -> None:
    """Add (or update) an account. The token is asked for without echo."""
    token = _read_token(token_stdin)
    try:
        spec = spec_from_mapping(
            {
                "id": account_id or channel_id,
                "name": name,
                "token": token,
                "guild_id": guild_id,
                "channel_id": channel_id,
                "bots": bot,
                "mode": mode,
                "concurrency": concurrency,
                "queue_size": queue_size,
                "timeout_minutes": timeout_minutes,
                "user_agent": user_agent,
            }
        )
    except ValueError as exc:
        invalid(exc)
    with_connection(lambda conn: account_queries.upsert_account(conn, spec.row()))
    typer.echo(f"account {spec.id} saved")


def _describe(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "bots": list(row["bots"]),
        "guild_id": row["guild_id"],
        "channel_id": row["channel_id"],
        "mode": row["mode"],
        # Midjourney's own state, as the worker last read it from /info and /settings.
        "job_mode": row["job_mode"],
        "fast_time_remaining": row["fast_time_remaining"],
        "fast_minutes_left": row["fast_minutes_left"],
        "fast_exhausted": row["fast_exhausted"],
        "remix": row["remix"],
        # niji・journey's own (docs/accounts.md "niji's own state").
        "niji_job_mode": row["niji_job_mode"],
        "niji_remix": row["niji_remix"],
        "subscription": row["subscription"],
        "state_read_at": row["state_read_at"].isoformat() if row["state_read_at"] else None,
        "concurrency": row["concurrency"],
        "enabled": row["enabled"],
        "sandbox": row["sandbox"],
        "health": row["health"],
        "reason": row["health_reason"],
        "owner": row["owner"],
    }


LIST_COLUMNS = ("ID", "NAME", "BOTS", "MODE", "FAST TIME", "REMIX", "CAP", "STATE", "HEALTH")


def _fast_time(a: dict[str, Any]) -> str:
    left = a["fast_time_remaining"] or "-"
    return f"{left} exhausted" if a["fast_exhausted"] else left


_ON_OFF = {True: "on", False: "off", None: "-"}


def _mode(a: dict[str, Any]) -> str:
    """The mode the account is in (as last read), else its default with a `*`: not read yet;
    niji's after it for an account that uses niji."""
    mode = a["job_mode"] or f"{a['mode']}*"
    return f"{mode} niji:{a['niji_job_mode'] or a['mode'] + '*'}" if "niji" in a["bots"] else mode


def _remix(a: dict[str, Any]) -> str:
    remix = _ON_OFF[a["remix"]]
    return f"{remix} niji:{_ON_OFF[a['niji_remix']]}" if "niji" in a["bots"] else remix


def account_table(described: list[dict[str, Any]]) -> list[str]:
    """`account list` as aligned columns under a header (the health reason last, in full)."""
    rows = [LIST_COLUMNS]
    for a in described:
        health = a["health"] + (f" ({a['reason']})" if a["reason"] else "")
        rows.append(
            (
                a["id"],
                a["name"] or "-",
                ",".join(a["bots"]),
                _mode(a),
                _fast_time(a),
                _remix(a),
                str(a["concurrency"]),
                ("enabled" if a["enabled"] else "disabled") + (" sandbox" if a["sandbox"] else ""),
                health,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(LIST_COLUMNS) - 1)]
    return ["  ".join([*(row[i].ljust(w) for i, w in enumerate(widths)), row[-1]]) for row in rows]


@account_cli.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List accounts with their health and Midjourney state (never their tokens). MODE is the
    speed mode Midjourney last reported (`fast*`: not read yet, the account's default)."""
    rows = with_connection(account_queries.list_accounts)
    described = [_describe(row) for row in rows]
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    if not described:
        typer.echo("no accounts (add one with `mjrelay account add`, see README)")
        return
    for line in account_table(described):
        typer.echo(line)


def _set_enabled(account_id: str, enabled: bool) -> None:
    changed = with_connection(lambda conn: account_queries.set_enabled(conn, account_id, enabled))
    if not changed:
        fail(f"no account {account_id!r}")
    typer.echo(f"account {account_id} {'enabled' if enabled else 'disabled'}")


@account_cli.command("disable")
def disable(account_id: str) -> None:
    """Stop using an account: its queue moves to other accounts; running jobs end at once."""
    _set_enabled(account_id, False)


@account_cli.command("enable")
def enable(account_id: str) -> None:
    """Use an account again and clear its health state."""
    _set_enabled(account_id, True)


@account_cli.command("import")
def import_(path: Path) -> None:
    """Import accounts from Discordxy's config.json (or a JSON list like MJRELAY_ACCOUNTS)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        specs: list[AccountSpec] = (
            [spec_from_mapping(entry) for entry in data]
            if isinstance(data, list)
            else parse_discordxy_config(data)
        )
    except (OSError, ValueError) as exc:
        invalid(f"{path}: {exc}")

    async def save(conn: AsyncConnection) -> None:
        for spec in specs:
            await account_queries.upsert_account(conn, spec.row())

    with_connection(save)
    typer.echo(f"imported {len(specs)} account(s): {', '.join(s.id for s in specs) or 'none'}")
