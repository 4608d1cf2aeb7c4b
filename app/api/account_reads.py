"""The accounts as the API shows them (never a token), and an operator's wish for one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.commands import ChangeAccount
from db import account_state, api_accounts


async def public_accounts(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list(await api_accounts.list_public_accounts(conn))


async def public_account(engine: AsyncEngine, account_id: str) -> Any | None:
    async with engine.connect() as conn:
        return await api_accounts.get_public_account(conn, account_id)


async def change_account(engine: AsyncEngine, change: ChangeAccount) -> Any | None:
    """Record an operator's wish for an account (the worker applies it); None: no account."""
    async with engine.begin() as conn:
        found = await account_state.set_account_controls(
            conn,
            change.account_id,
            mode=change.mode,
            remix_auto=change.remix_auto,
            remix_wanted=change.remix,
        )
        return await api_accounts.get_public_account(conn, change.account_id) if found else None
