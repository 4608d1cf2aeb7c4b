"""The worker for tests that drive tasks through the sandbox.

`running_worker` runs a `Supervisor` in the test's process on the test's database until the
block ends (it owns the accounts registered there, e.g. by `register_sandbox_accounts`);
`worker_process` starts `mjrelay worker` as a process of its own, for tests that kill it;
`wait_for_status` polls the task store until a task reaches one of the given statuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.config import Settings
from app.domain.task import Task
from app.worker.supervisor import Supervisor

WAIT_S = 30.0  # generous: a loaded machine runs several suites at once


@contextlib.asynccontextmanager
async def running_worker(
    database_url: str, engine: AsyncEngine, **settings: Any
) -> AsyncIterator[Supervisor]:
    """A `Supervisor` in this process until the block ends; quick polls and a short lease
    unless `settings` say otherwise."""
    settings = {"poll_interval_s": 0.5, "account_lease_ttl_s": 5, **settings}
    supervisor = Supervisor(Settings(**settings), database_url, engine)
    stop = asyncio.Event()
    running = asyncio.create_task(supervisor.run(stop))
    try:
        yield supervisor
    finally:
        stop.set()
        await asyncio.wait_for(running, 15)


def worker_process(database_url: str, worker_id: str, **settings: str) -> subprocess.Popen[bytes]:
    """`mjrelay worker` as a process of its own (to kill -9 it): none of this environment's
    settings, only `settings` (MJRELAY_… = value), JSON logs, its output discarded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MJRELAY_", "AWS_"))}
    env.update(DATABASE_URL=database_url, MJRELAY_WORKER_ID=worker_id, MJRELAY_LOG_FORMAT="json")
    env.update(settings)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


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
