"""The worker in the test's own process, for tests that drive tasks through the sandbox.

`running_worker` runs a `Supervisor` on the test's database until the block ends (it owns the
accounts registered there, e.g. by `register_sandbox_accounts`); `wait_for_status` polls the
task store until a task reaches one of the given statuses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.config import Settings
from app.domain.task import Task
from app.worker.supervisor import Supervisor

WAIT_S = 30.0  # generous: a loaded machine runs several suites at once


@contextlib.asynccontextmanager
async def running_worker(
    database_url: str,
    engine: AsyncEngine,
    *,
    poll_interval_s: float = 0.5,
    **settings: object,
) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(
        Settings(poll_interval_s=poll_interval_s, account_lease_ttl_s=5, **settings),  # type: ignore[arg-type]
        database_url,
        engine,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(supervisor.run(stop))
    try:
        yield supervisor
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)


async def wait_for_status(engine: AsyncEngine, task_id: str, *statuses: str) -> Task:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        task = await taskstore.get_task(engine, task_id)
        assert task is not None
        if task.status in statuses:
            return task
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} stuck in {task.status}: {task.fail_reason}")
        await asyncio.sleep(0.05)
