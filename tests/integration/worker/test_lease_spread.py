"""A burst of tasks over idle accounts is spread by the account choice, not taken by one runner.

The e2e bench's light load (10 imagines at once over 10 accounts of 10 slots) put all 10 on the
first account that leased: its claim ranked accounts by their load before it, so none was less
busy, and it filled its free slots in one statement. Each final message then waited on that one
gateway behind the other nine tasks' writes. Real Postgres, the sandbox, the worker's supervisor.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.worker.helpers import until
from tests.stack import running_worker, wait_for_status

ACCOUNTS = 4


async def test_tasks_created_at_once_go_one_per_idle_account(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=ACCOUNTS, speed="instant", seed=12) as sb:
        specs = await register_sandbox_accounts(
            engine, sb.accounts, sb.base_url, concurrency=ACCOUNTS
        )
        async with running_worker(database_url, engine) as supervisor:

            async def all_leasing() -> bool:
                return len(supervisor.router._seats) == ACCOUNTS

            await until(all_leasing, "every runner leasing")
            ids = [f"{3200000000000000 + n}" for n in range(ACCOUNTS)]
            # Each its own transaction, as the web's submits: PostgreSQL folds identical NOTIFY
            # payloads sent in one transaction into one.
            await asyncio.gather(
                *(
                    taskstore.create_task(
                        engine,
                        Task(id=task_id, dialect="webman", action="IMAGINE", prompt=f"a reef {n}"),
                    )
                    for n, task_id in enumerate(ids)
                )
            )
            for task_id in ids:
                assert (await wait_for_status(engine, task_id, "SUCCESS", "FAILURE")).status == (
                    "SUCCESS"
                )
    async with engine.connect() as conn:
        accounts = (
            await conn.execute(
                text("SELECT account_id FROM tasks WHERE id = ANY(:ids)"), {"ids": ids}
            )
        ).scalars()
        assert sorted(accounts) == sorted(spec.id for spec in specs)
