"""A burst above novicezk's queue (3 running + 10 queued per account) is held, not refused.

With the default account settings, 2 sandbox accounts used to refuse everything past 26 tasks at
once with code 23; the durable queue now holds the whole burst and every task finishes.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from app.accounts import DEFAULT_QUEUE_SIZE
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.e2e.stack import worker
from tests.integration.api.conftest import body

BURST = 60  # more than 2 accounts × (3 running + 10 queued)


@pytest.mark.timeout(300)
async def test_burst_above_novicezks_queue_is_accepted_and_finishes(
    api, database_url, engine, sandbox
) -> None:
    assert 2 * (3 + 10) < BURST < 2 * DEFAULT_QUEUE_SIZE
    # The accounts are there, their worker not yet: the burst arrives in two waves of
    # simultaneous submits, so the second finds the first one's tasks taking every slot.
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with api() as client:
        codes = []
        for wave in (range(BURST // 2), range(BURST // 2, BURST)):
            replies = await asyncio.gather(
                *(
                    client.post("/mj/submit/imagine", json={"prompt": f"burst {n}", "state": ""})
                    for n in wave
                )
            )
            codes += [body(r)["code"] for r in replies]
    assert set(codes) <= {1, 22}, codes
    assert codes[BURST // 2 :] == [22] * (BURST // 2)  # behind full slots: queued, not refused
    async with worker(database_url, engine, sandbox):
        deadline = time.monotonic() + 240
        while True:
            async with engine.connect() as conn:
                statuses = dict(
                    (
                        await conn.execute(text("SELECT status, count(*) FROM tasks GROUP BY 1"))
                    ).all()
                )
            if statuses.get("SUCCESS", 0) == BURST:
                break
            assert "FAILURE" not in statuses, statuses
            assert time.monotonic() < deadline, statuses
            await asyncio.sleep(0.2)
