"""1,000 identical prompts at once across accounts: each task gets its own job's result."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.stack import running_worker

TASKS = 1000
PROMPT = "the same quiet lake at dawn"


# Runs 85–290 s on a loaded machine. pytest-timeout's default (120 s) alarm would fire inside a
# worker runner, crash it and turn this test into a crash-recovery test; the own deadline below
# (240 s) is what bounds it.
@pytest.mark.timeout(600)
async def test_identical_prompts_are_never_swapped(database_url: str, engine: AsyncEngine) -> None:
    async with start_sandbox(port=0, accounts=4, speed="instant", seed=6) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url, concurrency=6)
        async with engine.begin() as conn:
            for n in range(TASKS):
                await taskstore.create_task(
                    conn,
                    Task(
                        id=f"{4000000000000000 + n}",
                        dialect="novicezk",
                        action="IMAGINE",
                        prompt=PROMPT,
                    ),
                )
        async with running_worker(database_url, engine):
            deadline = time.monotonic() + 480  # generous: a loaded 2-core CI box
            while True:
                async with engine.connect() as conn:
                    done = (
                        await conn.execute(
                            text("SELECT count(*) FROM tasks WHERE status IN ('SUCCESS','FAILURE')")
                        )
                    ).scalar_one()
                if done == TASKS:
                    break
                assert time.monotonic() < deadline, f"only {done} of {TASKS} finished"
                await asyncio.sleep(0.25)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT id, status, nonce, message_hash, account_id FROM tasks")
                )
            ).all()
        # The sandbox's own record: which interaction (by nonce) produced which job hash.
        interaction_of = {s.nonce: s.interaction_id for s in sb.submissions.accepted()}
        hash_of_interaction = {
            result.message["interaction_metadata"]["id"]: result.hash
            for result in sb.core.midjourney.results.values()
        }
    assert {row.status for row in rows} == {"SUCCESS"}
    assert len({row.nonce for row in rows}) == TASKS
    assert all(count == 1 for count in sb.submissions.nonce_counts().values())
    hashes = [row.message_hash for row in rows]
    assert len(set(hashes)) == TASKS, "two tasks share one result"
    swapped = [
        row.id
        for row in rows
        if hash_of_interaction.get(interaction_of.get(row.nonce)) != row.message_hash
    ]
    assert swapped == []
    assert len({row.account_id for row in rows}) == 4  # really spread across accounts
