"""`mjrelay key …`: client API keys (docs/keys.md). A key is printed once, at add and rotate;
the database keeps only its SHA-256."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cli.common import fail, invalid, load_cli_settings, with_connection
from app.domain.keys import MAX_LIMIT, check_name, key_hash, new_key, parse_rate, shown_prefix
from db import api_keys as q

DIALECTS = ("discordxy", "webman", "novicezk")

key_cli = typer.Typer(
    help="Manage client API keys: limits, quotas, usage.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _csv_option(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def parse_expiry(value: str | None) -> datetime | None:
    """A date (the key works through that UTC day) or an ISO date-time (UTC when naive)."""
    if not value:
        return None
    try:
        if len(value.strip()) == 10:
            day = date.fromisoformat(value.strip())
            return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError):
        invalid(f"--expires {value!r}: expected YYYY-MM-DD or an ISO date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_LIMIT:
        invalid(f"{name} must be from 1 to {MAX_LIMIT}")
    return value


def _warn_unprotected() -> None:
    settings = load_cli_settings(quiet=True)
    if not [s for s in (settings.admin_secret, *settings.api_secrets()) if s]:
        typer.echo(
            "warning: no MJRELAY_API_SECRET (nor a dialect's secret) is set: requests without a"
            " key are still served as the operator. Set one to make keys the only way in.",
            err=True,
        )


@key_cli.command("add")
def add(
    name: str = typer.Option(..., "--name", help="A unique name (shown in metrics and usage)."),
    daily_limit: int = typer.Option(None, "--daily-limit", help="Tasks per UTC day at most."),
    total_limit: int = typer.Option(None, "--total-limit", help="Tasks in all at most."),
    concurrency: int = typer.Option(None, help="Unfinished tasks at once at most."),
    rate: str = typer.Option(None, "--rate", help="Requests at most, e.g. 60/min, 2/s."),
    expires: str = typer.Option(None, help="Last day (YYYY-MM-DD, UTC) or an ISO date-time."),
    dialects: str = typer.Option(None, help="Comma-separated: discordxy, webman, novicezk."),
    accounts: str = typer.Option(None, help="Comma-separated account ids its tasks may use."),
    admin: bool = typer.Option(False, "--admin", help="Sees and acts on every task."),
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    try:
        name = check_name(name)
        per_min = parse_rate(rate) if rate is not None else None
    except ValueError as exc:
        invalid(exc)
    allowed = _csv_option(dialects)
    unknown = sorted(set(allowed or ()) - set(DIALECTS))
    if unknown:
        invalid(f"--dialects: unknown {', '.join(unknown)} (known: {', '.join(DIALECTS)})")
    limits = {
        "admin": admin,
        "expires_at": parse_expiry(expires),
        "daily_limit": _positive("--daily-limit", daily_limit),
        "total_limit": _positive("--total-limit", total_limit),
        "concurrency": _positive("--concurrency", concurrency),
        "rate_per_min": per_min,
        "dialects": allowed,
        "accounts": _csv_option(accounts),
    }
    key = new_key()

    async def save(conn: AsyncConnection) -> None:
        await q.insert_key(
            conn, name=name, key_hash=key_hash(key), key_prefix=shown_prefix(key), **limits
        )

    try:
        with_connection(save)
    except q.KeyNameTaken:
        fail(f"a key named {name!r} exists already")
    typer.echo(key)
    typer.echo(f"key {name!r} created; it is shown only this once", err=True)
    _warn_unprotected()


def describe(row: Any) -> dict[str, Any]:
    expires = row["expires_at"]
    return {
        "name": row["name"],
        "prefix": row["key_prefix"],
        "admin": row["admin"],
        "enabled": row["enabled"],
        "expires_at": expires.isoformat() if expires else None,
        "daily_limit": row["daily_limit"],
        "total_limit": row["total_limit"],
        "concurrency": row["concurrency"],
        "rate_per_min": row["rate_per_min"],
        "dialects": list(row["dialects"]) if row["dialects"] is not None else None,
        "accounts": list(row["accounts"]) if row["accounts"] is not None else None,
        "tasks_today": row["tasks_today"],
        "tasks_total": row["tasks_total"],
        "unfinished": row["unfinished"],
    }


def _limit(value: Any) -> str:
    return "-" if value is None else str(value)


LIST_COLUMNS = ("NAME", "KEY", "STATE", "TODAY/DAILY", "TOTAL", "RUNNING/MAX", "RATE", "EXPIRES")


def key_table(described: list[dict[str, Any]]) -> list[str]:
    rows = [LIST_COLUMNS]
    for k in described:
        state = ("enabled" if k["enabled"] else "disabled") + (" admin" if k["admin"] else "")
        rows.append(
            (
                k["name"],
                k["prefix"],
                state,
                f"{k['tasks_today']}/{_limit(k['daily_limit'])}",
                f"{k['tasks_total']}/{_limit(k['total_limit'])}",
                f"{k['unfinished']}/{_limit(k['concurrency'])}",
                f"{k['rate_per_min']}/min" if k["rate_per_min"] else "-",
                (k["expires_at"] or "-")[:19],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(LIST_COLUMNS))]
    return ["  ".join(row[i].ljust(w) for i, w in enumerate(widths)).rstrip() for row in rows]


@key_cli.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List keys with their limits and today's use (never the keys themselves)."""
    described = [describe(row) for row in with_connection(q.list_keys)]
    if as_json:
        typer.echo(json.dumps(described, indent=2))
    elif not described:
        typer.echo("no keys (add one with `mjrelay key add --name NAME`)")
    else:
        for line in key_table(described):
            typer.echo(line)


def _set_enabled(name: str, enabled: bool) -> None:
    if not with_connection(lambda conn: q.set_enabled(conn, name, enabled)):
        fail(f"no key {name!r}")
    typer.echo(f"key {name} {'enabled' if enabled else 'disabled'}")


@key_cli.command("disable")
def disable(name: str) -> None:
    """Refuse the key from now on (its tasks stay, and keep running)."""
    _set_enabled(name, False)


@key_cli.command("enable")
def enable(name: str) -> None:
    """Accept the key again."""
    _set_enabled(name, True)


@key_cli.command("rotate")
def rotate(name: str) -> None:
    """Give the key a new value (printed once); the old value stops working at once."""
    key = new_key()
    if not with_connection(lambda conn: q.rotate(conn, name, key_hash(key), shown_prefix(key))):
        fail(f"no key {name!r}")
    typer.echo(key)
    typer.echo(f"key {name!r} rotated; the old value no longer works", err=True)


def month_range(month: str | None) -> tuple[date, date]:
    """The first and last day of `YYYY-MM` (this month, UTC, by default)."""
    try:
        first = (
            date.fromisoformat(f"{month}-01") if month else datetime.now(UTC).date().replace(day=1)
        )
    except ValueError:
        invalid(f"--month {month!r}: expected YYYY-MM")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


USAGE_FIELDS = (
    "key", "day", "action", "status", "mode", "tasks", "run_minutes", "gpu_minutes",
    "gpu_minutes_source", "callbacks_delivered",
)  # fmt: skip


def _plain(value: Any) -> Any:
    """A database number as JSON writes it (NUMERIC comes back as Decimal)."""
    return float(value) if isinstance(value, Decimal) else value


def usage_rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {f: (str(row[f]) if f == "day" else _plain(row[f])) for f in USAGE_FIELDS} for row in rows
    ]


@key_cli.command("usage")
def usage(
    name: str = typer.Argument(None, help="One key (default: every key)."),
    month: str = typer.Option(None, help="YYYY-MM (default: this month, UTC)."),
    fmt: str = typer.Option("csv", "--format", help="csv or json."),
) -> None:
    """Tasks per key, UTC day, action, status and mode in a month, with callbacks delivered."""
    if fmt not in ("csv", "json"):
        invalid("--format must be csv or json")
    first, last = month_range(month)

    async def read(conn: AsyncConnection) -> list[Any] | None:
        key_id = None
        if name is not None:
            row = await q.key_by_name(conn, name)
            if row is None:
                return None
            key_id = int(row["id"])
        return await q.usage_by_day(conn, key_id, first, last)

    rows = with_connection(read)
    if rows is None:
        fail(f"no key {name!r}")
    found = usage_rows(rows)
    if fmt == "json":
        typer.echo(json.dumps({"month": first.isoformat()[:7], "usage": found}, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=USAGE_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(found)
    typer.echo(out.getvalue(), nl=False)
