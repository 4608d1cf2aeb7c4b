"""`mjrelay sandbox`: a local Discord with simulated Midjourney and Pika bots."""

from __future__ import annotations

import asyncio

import typer

from app import shutdown
from app.cli.common import fail, invalid, run, settings_only


def sandbox(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(8790, help="Port for gateway, REST and CDN (0: any free port)."),
    accounts: int = typer.Option(2, min=1, max=50, help="How many fake accounts to create."),
    speed: str = typer.Option("fast", help="Bot speed: realistic, fast or instant."),
    seed: int = typer.Option(0, help="Seed for accounts, ids and images."),
    link_ttl: float = typer.Option(
        0, min=0, help="Seconds a CDN attachment link stays valid (0: a day, as on Discord)."
    ),
) -> None:
    """A local Discord with simulated Midjourney and Pika bots (see docs/sandbox.md)."""
    from app.sandbox import SPEEDS
    from app.sandbox.server import serve_forever

    if speed not in SPEEDS:
        invalid(f"--speed must be one of {', '.join(SPEEDS)}")

    def announce(base_url: str, lines: list[str]) -> None:
        typer.echo(f"mjrelay sandbox on {base_url} (REST {base_url}/api/v9, speed {speed})")
        typer.echo("accounts (sandbox-only fake tokens):")
        for line in lines:
            typer.echo(f"  {line}")

    grace_s = settings_only().shutdown_grace_s

    async def serve() -> None:
        stop = asyncio.Event()
        shutdown.watch(stop, grace_s)  # bounded: a bot drawing a huge prompt cannot hold Ctrl-C
        ttl = link_ttl or None
        await serve_forever(host, port, accounts, speed, seed, announce, stop, link_ttl_s=ttl)

    try:
        run(serve)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}")
