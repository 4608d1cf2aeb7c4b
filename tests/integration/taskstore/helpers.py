"""What the task store's tests share: an account row to lease onto, and a NOTIFY listener."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def add_account(engine: AsyncEngine, account_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, token, guild_id, channel_id)"
                " VALUES (:id, 'tok', 'g', 'c')"
            ),
            {"id": account_id},
        )


class Heard(list[str]):
    """The payloads heard; `until(n)` waits for the n-th."""

    def __init__(self) -> None:
        super().__init__()
        self._more = asyncio.Event()

    def hear(self, payload: str) -> None:
        self.append(payload)
        self._more.set()

    async def until(self, n: int) -> None:
        async with asyncio.timeout(10):
            while len(self) < n:
                self._more.clear()
                await self._more.wait()
