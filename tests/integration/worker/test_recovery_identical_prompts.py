"""A crash mid-flight with identical prompts: the new owner's replay gives each task its own job.

The worker is killed after the bot started every job; the sandbox keeps finishing them (in the
reverse of their start order) while nobody listens, and deletes each progress message as its
result is posted. The next owner finds only the results in the channel: it must tie each one to
its task by the keys the task row kept (interaction id, message, job hash), never by a guess on
the prompt, which every task shares.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.worker.helpers import (
    crash_worker,
    identical_prompts,
    swapped,
    task_rows,
    until,
)

# The sandbox holds each job's result this long after its progress: the first task started
# finishes last. Prompt parameters are not part of the prompt the correlator compares.
HOLDS_S = (4.0, 3.0, 2.0, 1.0)


@pytest.mark.timeout(90)
async def test_recovery_gives_each_identical_prompt_its_own_result(
    database_url: str, engine: AsyncEngine
) -> None:
    async with identical_prompts(engine, HOLDS_S, seed=7, first_id=5000000000000000) as sb:
        results = sb.core.midjourney.results

        first = crash_worker(database_url, "worker-a")
        try:

            async def all_started() -> bool:  # the bot's start message recorded for each
                return all(row.message_id for row in await task_rows(engine))

            await until(all_started, "the bot to start every job")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            at_crash = await task_rows(engine)
            finished_before_crash = len(results)

            async def all_posted() -> bool:
                return len(results) == len(HOLDS_S)

            await until(all_posted, "the sandbox to finish every job")
        finally:
            if first.poll() is None:
                first.kill()

        second = crash_worker(database_url, "worker-b")
        try:

            async def all_final() -> bool:
                rows = await task_rows(engine)
                return all(row.status in ("SUCCESS", "FAILURE") for row in rows)

            await until(all_final, "the new owner to record every result")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)

        rows = await task_rows(engine)
        # The sandbox's own record: which interaction (by nonce) produced which job hash.
        wrong = swapped(rows, sb)
        interaction_of = {s.nonce: s.interaction_id for s in sb.submissions.accepted()}
    assert finished_before_crash == 0  # the crash really was mid-flight
    assert [row.status for row in rows] == ["SUCCESS"] * len(HOLDS_S)
    assert wrong == []
    # Nothing was sent twice (jobs only: the worker also reads /info and /settings at start).
    assert len([s for s in sb.submissions.accepted() if s.command == "imagine"]) == len(HOLDS_S)
    # Each task row kept the interaction the bot named in its start message.
    assert all(row.interaction_id == interaction_of[row.nonce] for row in at_crash)
