"""The worker end to end: real Postgres, the sandbox over real sockets, tasks to SUCCESS."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.config import Settings
from app.domain.task import Task
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from app.worker.supervisor import Supervisor

WAIT_S = 30.0


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="instant", seed=1) as sb:
        yield sb


@contextlib.asynccontextmanager
async def running_worker(
    database_url: str, engine: AsyncEngine, **settings: object
) -> AsyncIterator[Supervisor]:
    supervisor = Supervisor(
        Settings(poll_interval_s=0.5, account_lease_ttl_s=5, **settings),  # type: ignore[arg-type]
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


async def submit(engine: AsyncEngine, task_id: str, **fields: object) -> Task:
    task = Task(id=task_id, dialect="novicezk", action="IMAGINE", **fields)  # type: ignore[arg-type]
    return await taskstore.create_task(engine, task)


async def test_imagine_then_upscale_through_the_sandbox(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        await submit(engine, "1000000000000001", prompt="a red fox in the snow")
        grid = await wait_for_status(engine, "1000000000000001", "SUCCESS", "FAILURE")
        assert grid.status == "SUCCESS", grid.fail_reason
        assert grid.image_url and grid.message_id and grid.message_hash
        assert grid.buttons, "the grid's buttons are kept for follow-ups"

        await taskstore.create_task(
            engine,
            Task(
                id="1000000000000002",
                dialect="novicezk",
                action="UPSCALE",
                parent_id=grid.id,
                account_id=grid.account_id,
                params={"index": 2},
                prompt=grid.prompt,
            ),
        )
        upscale = await wait_for_status(engine, "1000000000000002", "SUCCESS", "FAILURE")
    assert upscale.status == "SUCCESS", upscale.fail_reason
    assert upscale.account_id == grid.account_id
    assert upscale.image_url and upscale.image_url != grid.image_url
    nonces = [s.nonce for s in sandbox.submissions]
    assert len(nonces) == len(set(nonces))
