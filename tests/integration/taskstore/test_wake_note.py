"""A task that becomes PENDING wakes the worker with its wake note (docs/worker.md)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.status import TaskStatus
from app.domain.task import Task
from app.domain.wake import WakeNote, read_wake_note
from app.taskstore import create_task, record_change
from db.listen import listen_hub
from db.tasks import TASKS_CHANNEL
from tests.integration.taskstore.helpers import Heard, add_account


async def test_created_and_requeued_tasks_say_which_accounts_can_lease_them(
    database_url: str, engine: AsyncEngine
) -> None:
    await add_account(engine, "acct-2")
    payloads = Heard()
    async with listen_hub(database_url).subscribed(TASKS_CHANNEL, payloads.hear):
        keyed = Task(id="1000000000000001", dialect="novicezk", action="IMAGINE", prompt="a",
                     bot="niji", key_accounts=["acct-1", "acct-2"])  # fmt: skip
        await create_task(engine, keyed)
        filtered = Task(id="1000000000000002", dialect="novicezk", action="IMAGINE", prompt="b",
                        filter_account_id="acct-2")  # fmt: skip
        await create_task(engine, filtered)
        await payloads.until(2)
        # Leased, then back to the queue on its account (a pinned follow-up): the note says so.
        leased = {"status": TaskStatus.STARTED, "account_id": "acct-2"}
        await record_change(engine, filtered.id, leased, kind="started")
        await record_change(engine, filtered.id, {"status": TaskStatus.PENDING}, kind="requeued")
        await payloads.until(3)
    notes = [read_wake_note(p) for p in payloads]
    assert notes[0] == WakeNote(bot="niji", accounts=frozenset({"acct-1", "acct-2"}))
    assert notes[1] == WakeNote(bot="mj", account="acct-2")
    assert notes[2] == WakeNote(bot="mj", account="acct-2")
    assert notes[0].admits("acct-1", frozenset({"mj", "niji"}))
    assert not notes[0].admits("acct-3", frozenset({"mj", "niji"}))
