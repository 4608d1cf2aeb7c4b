"""Many concurrent submits on one key (every limit set, none reached): the key's row is locked
by the rate bucket of each request and by the quota of each new task, and no interleaving of
the two may end in a deadlock (a 5xx), or lose a task."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from tests.hostile import log_problems
from tests.integration.api.conftest import add_account, body
from tests.integration.api.keys.helpers import SECRET, add_key, bearer

NO_LIMIT = 1_000_000_000
SUBMITS = 120
AT_ONCE = 32  # as bench http's submit-1key: 32 connections on one key


async def test_concurrent_submits_on_one_key_never_fail(
    api, engine, caplog: pytest.LogCaptureFixture
) -> None:
    await add_account(engine, concurrency=NO_LIMIT, queue_size=NO_LIMIT)
    key = await add_key(
        engine, "busy", daily_limit=NO_LIMIT, total_limit=NO_LIMIT, concurrency=NO_LIMIT,
        rate_per_min=NO_LIMIT,
    )  # fmt: skip
    gate = asyncio.Semaphore(AT_ONCE)
    caplog.set_level(logging.WARNING)
    async with api(api_secret=SECRET) as client:

        async def submit(n: int) -> tuple[int, dict]:
            async with gate:
                reply = await client.post(
                    "/mj/submit/imagine", json={"prompt": f"fox {n}", "state": "s"},
                    headers=bearer(key),
                )  # fmt: skip
                return reply.status_code, body(reply)

        replies = await asyncio.gather(*(submit(n) for n in range(SUBMITS)))
    assert [status for status, _ in replies] == [200] * SUBMITS
    assert {reply["code"] for _, reply in replies} <= {1, 22}, replies
    assert log_problems(caplog.records, [key]) == []
    async with engine.connect() as conn:
        tasks = await conn.scalar(text("SELECT count(*) FROM tasks"))
        total = await conn.scalar(text("SELECT tasks_total FROM api_keys WHERE name = 'busy'"))
    assert tasks == total == SUBMITS
