"""Helpers of the worker tests: a worker process to kill, tasks that share one prompt, and a
task's row and events read back.

`crash_worker` is `mjrelay worker` as its own process with a short lease, quick polls and a
short reconcile grace, so a takeover after its kill -9 is quick. `identical_prompts` submits
tasks that the correlator cannot tell apart by their prompt; `swapped` names those that got
another task's job.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.correlation import prompt_key
from app.domain.task import Task
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import tasks as task_queries
from tests.stack import worker_process

TTL_S = 3  # the account lease of a crash worker: a takeover comes within this (and a poll)


def crash_worker(database_url: str, worker_id: str) -> subprocess.Popen[bytes]:
    return worker_process(
        database_url,
        worker_id,
        MJRELAY_ACCOUNT_LEASE_TTL_S=str(TTL_S),
        MJRELAY_POLL_INTERVAL_S="0.3",
        MJRELAY_RECONCILE_GRACE_S="3",
    )


PROMPT = "the same quiet lake at dawn"
WAIT_S = 30


async def task_rows(engine: AsyncEngine) -> list[Row[Any]]:
    """Every task's id, status and the keys that tie it to its job."""
    async with engine.connect() as conn:
        query = "SELECT id, status, nonce, interaction_id, message_id, message_hash FROM tasks"
        return list((await conn.execute(text(query))).all())


async def until(check: Callable[[], Awaitable[bool]], what: str, wait_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + wait_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def identical_prompts(
    engine: AsyncEngine, holds: Sequence[float], *, seed: int, first_id: int
) -> AsyncIterator[Sandbox]:
    """A one-account sandbox and a task per hold, all with the same prompt, each result held."""
    prompts = [f"{PROMPT} --sandbox-fault delay:{hold}" for hold in holds]
    assert len({prompt_key(p) for p in prompts}) == 1  # identical to the correlator
    async with start_sandbox(
        port=0, accounts=1, speed="fast", seed=seed, concurrency=len(holds)
    ) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url, concurrency=len(holds))
        for n, prompt in enumerate(prompts):
            task = Task(id=str(first_id + n), dialect="novicezk", action="IMAGINE", prompt=prompt)
            await taskstore.create_task(engine, task)
        yield sb


def swapped(rows: Sequence[Row[Any]], sb: Sandbox) -> list[str]:
    """Tasks whose recorded job hash is not the one the sandbox made for their own interaction."""
    interaction_of = {s.nonce: s.interaction_id for s in sb.submissions.accepted()}
    hash_of_interaction = {
        result.message["interaction_metadata"]["id"]: result.hash
        for result in sb.core.midjourney.results.values()
    }
    return [
        row.id for row in rows if row.message_hash != hash_of_interaction[interaction_of[row.nonce]]
    ]


async def status_of(engine: AsyncEngine, task_id: str) -> Task:
    task = await taskstore.get_task(engine, task_id)
    assert task is not None
    return task


async def events_of(engine: AsyncEngine, task_id: str) -> list[dict]:
    """The task's events, oldest first."""
    async with engine.connect() as conn:
        return [dict(row) for row in await task_queries.list_task_events(conn, task_id)]
