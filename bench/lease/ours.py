"""mjrelay's side: `db.leasing.lease_tasks` per account (the gate), then the task completes.

Each claimer is one account's lease loop, as in the worker: a transaction locks the account row
and claims pending tasks up to its free slots (status STARTED); a second transaction completes
them. Completion here is the bare fenced status move (STARTED → SUCCESS) — the worker's real
`taskstore.record_change` also writes an event and a callback row, which the callback and
end-to-end scenarios measure. The engine is the product's own `db.engine.make_engine`.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.lease.workload import LeaseParams
from db import migrations
from db.engine import make_engine
from db.leasing import lease_tasks

OWNER = "bench-worker"
FENCE = 1

_SEED_ACCOUNTS = text(
    """
    INSERT INTO accounts (id, token, guild_id, channel_id, concurrency, owner, fence,
                          lease_expires_at)
    SELECT 'acct-' || lpad(g::text, 4, '0'), 'token', 'guild', 'channel-' || g, :cap, :owner,
           :fence, now() + interval '1 day'
    FROM generate_series(1, :accounts) g
    """
)

# Unassigned pending tasks in arrival order: every account competes for the same queue head.
_SEED_TASKS = text(
    """
    INSERT INTO tasks (id, dialect, action, prompt, created_at)
    SELECT lpad(g::text, 19, '0'), 'novicezk', 'IMAGINE', 'bench',
           now() - interval '1 hour' + g * interval '1 microsecond'
    FROM generate_series(1, :tasks) g
    """
)

# Stands in for the worker's terminal change: guarded by status and fence like record_change.
_COMPLETE = text(
    """
    UPDATE tasks SET status = 'SUCCESS', progress = 100,
        finish_time = (extract(epoch FROM clock_timestamp()) * 1000)::bigint, updated_at = now()
    WHERE id = ANY(:ids) AND status = 'STARTED' AND leased_by = :owner AND fence = :fence
    """
)


def account_id(index: int) -> str:
    return f"acct-{index + 1:04d}"


class MjrelayLease:
    name = "mjrelay"
    description = "db.leasing.lease_tasks per account (cap enforced in SQL), then complete"

    def __init__(self) -> None:
        self.engine: AsyncEngine | None = None
        self.cap = 1

    async def install(self, url: str) -> None:
        engine = make_engine(url, pool_size=2)
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()

    async def seed(self, url: str, params: LeaseParams) -> None:
        engine = make_engine(url, pool_size=2)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    _SEED_ACCOUNTS,
                    {
                        "accounts": params.accounts,
                        "cap": params.cap,
                        "owner": OWNER,
                        "fence": FENCE,
                    },
                )
                await conn.execute(_SEED_TASKS, {"tasks": params.tasks})
        finally:
            await engine.dispose()

    async def open(self, url: str, params: LeaseParams) -> None:
        # make_engine allows pool_size + the same again in overflow.
        self.engine = make_engine(url, pool_size=params.connections)
        self.cap = params.cap
        await warm_pool(self.engine, params.connections)

    async def cycle(self, claimer: int) -> int:
        assert self.engine is not None
        async with self.engine.connect() as conn:
            async with conn.begin():
                rows = await lease_tasks(
                    conn, account_id=account_id(claimer), owner=OWNER, fence=FENCE, limit=self.cap
                )
            if rows:
                async with conn.begin():
                    await self._complete(conn, [row["id"] for row in rows])
        return len(rows)

    async def _complete(self, conn: AsyncConnection, ids: list[str]) -> None:
        await conn.execute(_COMPLETE, {"ids": ids, "owner": OWNER, "fence": FENCE})

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    async def completed(self, url: str) -> int:
        engine = make_engine(url, pool_size=2)
        try:
            async with engine.connect() as conn:
                query = text("SELECT count(*) FROM tasks WHERE status = 'SUCCESS'")
                return int((await conn.execute(query)).scalar_one())
        finally:
            await engine.dispose()


async def warm_pool(engine: AsyncEngine, connections: int) -> None:
    """Open every pooled connection now, so connection setup is not timed."""
    opened = 0
    hold = asyncio.Event()
    all_open = asyncio.Event()

    async def checkout() -> None:
        nonlocal opened
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            opened += 1
            if opened == connections:
                all_open.set()
            await hold.wait()

    tasks = [asyncio.create_task(checkout()) for _ in range(connections)]
    await asyncio.wait_for(all_open.wait(), timeout=30)
    hold.set()
    await asyncio.gather(*tasks)
