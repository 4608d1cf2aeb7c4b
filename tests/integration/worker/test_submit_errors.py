"""A submit that raises (the database refusing a connection) never strands its leased task.

Seen in the e2e bench with 4 workers: PostgreSQL said "too many clients" to a submit's first
write, the submit's background task died, and its task stayed STARTED, held by the runner, until
the account's 600 s timeout. Real Postgres, the sandbox over real sockets, the worker's own
supervisor; the failure is injected once into the write that failed there.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import leasing
from tests.integration.worker.helpers import events_of
from tests.stack import running_worker, wait_for_status


def _refused() -> DBAPIError:
    return DBAPIError("connect", {}, Exception("sorry, too many clients already"))


def _fail_first(real: Any, times: int, when: Any = lambda *a, **k: True) -> Any:
    calls = {"failed": 0}

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if calls["failed"] < times and when(*args, **kwargs):
            calls["failed"] += 1
            raise _refused()
        return await real(*args, **kwargs)

    return flaky


@pytest.mark.parametrize("put_back_fails", [0, 1], ids=["put-back-at-once", "put-back-retried"])
async def test_a_submit_whose_database_write_fails_puts_its_task_back_and_it_succeeds(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, put_back_fails: int
) -> None:
    monkeypatch.setattr(leasing, "mark_submitting", _fail_first(leasing.mark_submitting, 1))
    monkeypatch.setattr(
        taskstore,
        "record_change",
        _fail_first(
            taskstore.record_change, put_back_fails, lambda *a, **k: k.get("kind") == "requeued"
        ),
    )
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=11) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with running_worker(database_url, engine):
            task = Task(id="3100000000000001", dialect="webman", action="IMAGINE", prompt="a dune")
            await taskstore.create_task(engine, task)
            done = await wait_for_status(engine, task.id, "SUCCESS", "FAILURE")
    assert done.status == "SUCCESS"  # default timeout 600 s: without the put-back, STARTED
    kinds = [event["kind"] for event in await events_of(engine, task.id)]
    assert kinds[:3] == ["created", "started", "requeued"]
    assert kinds.count("started") == 2
    assert kinds.count("submitted") == 1
