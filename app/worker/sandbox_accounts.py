"""Sandbox mode: the local sandbox's accounts, registered so the worker drives them like real ones.

`mjrelay up` uses this when no real account is configured, so a new user can submit an imagine
and get images without a Discord account. Such accounts carry `sandbox = true`, which the logs,
the account API and the dashboard show.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from app.accounts import AccountSpec
from app.logs import register_secret
from app.sandbox import SandboxAccount
from db import accounts as account_queries

log = logging.getLogger(__name__)


def sandbox_specs(
    accounts: Sequence[SandboxAccount], base_url: str, *, concurrency: int = 3
) -> list[AccountSpec]:
    return [
        AccountSpec(
            id=account.channel_id,
            name=f"sandbox-{account.name}",
            token=account.token,
            guild_id=account.guild_id,
            channel_id=account.channel_id,
            bots=("mj", "niji", "pika"),
            concurrency=concurrency,
            sandbox=True,
            api_base=f"{base_url}/api/v9",
            task_timeout_s=120,
        )
        for account in accounts
    ]


async def register_sandbox_accounts(
    engine: AsyncEngine, accounts: Sequence[SandboxAccount], base_url: str, concurrency: int = 3
) -> list[AccountSpec]:
    specs = sandbox_specs(accounts, base_url, concurrency=concurrency)
    async with engine.begin() as conn:
        for spec in specs:
            register_secret(spec.token)
            await account_queries.upsert_account(conn, spec.row())
    log.warning(
        "SANDBOX MODE: no real Discord account configured; using the local sandbox's accounts",
        extra={"accounts": [s.id for s in specs], "sandbox": base_url},
    )
    return specs
