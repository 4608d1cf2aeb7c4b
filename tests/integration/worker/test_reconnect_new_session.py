"""A reconnect that cannot resume, mid-flight, with identical prompts: the gap's results count.

Every job has started when the sandbox invalidates the worker's session and refuses its next
IDENTIFYs, so the worker stays away while the bot finishes the jobs (in the reverse of their start
order). Those results are never dispatched to the worker and a new session replays nothing: only
the channel holds them. After the new READY the worker must record each result for its own task
(by the keys it learned, never by a guess on the prompt every task shares), and none may wait for
its timeout.
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

# Each job's result is held this long after its progress: the first task started finishes last.
HOLDS_S = (1.5, 1.0, 0.5)
REFUSED_IDENTIFIES = 50  # far more than the worker tries while the test waits; `clear` ends it


@pytest.mark.timeout(90)
async def test_new_session_records_the_results_posted_while_disconnected(
    database_url: str, engine: AsyncEngine
) -> None:
    async with identical_prompts(engine, HOLDS_S, seed=11, first_id=5100000000000000) as sb:
        user_id = sb.accounts[0].user_id
        results = sb.core.midjourney.results

        def live_sessions() -> int:
            sessions = sb.core.gateway.sessions.values()
            return sum(1 for s in sessions if s.user_id == user_id and s.valid)

        worker = crash_worker(database_url, "worker-a")
        try:

            async def all_started() -> bool:  # the bot's start message recorded for each
                return all(row.message_id for row in await task_rows(engine))

            await until(all_started, "the bot to start every job")
            # Not resumable: the session is dropped, and the next IDENTIFYs are refused.
            await sb.inject_fault("identify_invalid", account=0, count=REFUSED_IDENTIFIES)
            await sb.inject_fault("invalid_session", account=0, resumable=False)
            finished_before_drop = len(results)

            async def all_posted() -> bool:
                return len(results) == len(HOLDS_S)

            await until(all_posted, "the sandbox to finish every job")
            sessions_while_posting = live_sessions()
            await sb.inject_fault("clear", account=0)  # the next IDENTIFY gets a new session

            async def all_final() -> bool:
                rows = await task_rows(engine)
                return all(row.status in ("SUCCESS", "FAILURE") for row in rows)

            await until(all_final, "the worker to record every result after the new READY")
            sessions_after = live_sessions()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)

        rows = await task_rows(engine)
        wrong = swapped(rows, sb)
        # Jobs only: the worker also reads the account's /info and /settings when it connects.
        accepted = len([s for s in sb.submissions.accepted() if s.command == "imagine"])
    assert finished_before_drop == 0  # the drop really was mid-flight
    assert sessions_while_posting == 0  # every result was posted while the worker was away
    assert sessions_after == 1  # …and recorded after it came back with a new session
    assert [row.status for row in rows] == ["SUCCESS"] * len(HOLDS_S)
    assert wrong == []  # each task got its own job's hash
    assert accepted == len(HOLDS_S)  # nothing was sent twice
