"""A crash mid-flight with identical prompts: the new owner's replay gives each task its own job.

The worker is killed after the bot started every job; the sandbox keeps finishing them (in the
reverse of their start order) while nobody listens, and deletes each progress message as its
result is posted. The next owner finds only the results in the channel: it must tie each one to
its task by the keys the task row kept (interaction id, message, job hash), never by a guess on
the prompt, which every task shares.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.correlation import prompt_key
from app.domain.task import Task
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.worker.test_crash import _worker

PROMPT = "the same quiet lake at dawn"
# The sandbox holds each job's result this long after its progress: the first task started
# finishes last. Prompt parameters are not part of the prompt the correlator compares.
HOLDS_S = (4.0, 3.0, 2.0, 1.0)
WAIT_S = 30


async def _rows(engine: AsyncEngine) -> list[Row[Any]]:
    async with engine.connect() as conn:
        query = "SELECT id, status, nonce, interaction_id, message_id, message_hash FROM tasks"
        return list((await conn.execute(text(query))).all())


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
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


@pytest.mark.timeout(90)
async def test_recovery_gives_each_identical_prompt_its_own_result(
    database_url: str, engine: AsyncEngine
) -> None:
    async with identical_prompts(engine, HOLDS_S, seed=7, first_id=5000000000000000) as sb:
        results = sb.core.midjourney.results

        first = _worker(database_url, "worker-a")
        try:

            async def all_started() -> bool:  # the bot's start message recorded for each
                return all(row.message_id for row in await _rows(engine))

            await _until(all_started, "the bot to start every job")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            at_crash = await _rows(engine)
            finished_before_crash = len(results)

            async def all_posted() -> bool:
                return len(results) == len(HOLDS_S)

            await _until(all_posted, "the sandbox to finish every job")
        finally:
            if first.poll() is None:
                first.kill()

        second = _worker(database_url, "worker-b")
        try:

            async def all_final() -> bool:
                rows = await _rows(engine)
                return all(row.status in ("SUCCESS", "FAILURE") for row in rows)

            await _until(all_final, "the new owner to record every result")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)

        rows = await _rows(engine)
        # The sandbox's own record: which interaction (by nonce) produced which job hash.
        wrong = swapped(rows, sb)
        interaction_of = {s.nonce: s.interaction_id for s in sb.submissions.accepted()}
    assert finished_before_crash == 0  # the crash really was mid-flight
    assert [row.status for row in rows] == ["SUCCESS"] * len(HOLDS_S)
    assert wrong == []
    assert len(sb.submissions.accepted()) == len(HOLDS_S)  # nothing was sent twice
    # Each task row kept the interaction the bot named in its start message.
    assert all(row.interaction_id == interaction_of[row.nonce] for row in at_crash)
