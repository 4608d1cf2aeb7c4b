"""A task's SUCCESS queues its archive jobs and wakes the archiver at COMMIT, once; a new task
with a notify URL wakes the callback dispatchers."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.dialects import render_callback
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.taskstore import create_task, record_change
from db.deliveries import CHANNEL as DELIVERIES_CHANNEL
from db.listen import listen_hub
from db.objects import ARCHIVE_CHANNEL
from tests.integration.taskstore.helpers import Heard, add_account


async def test_success_queues_the_archive_and_wakes_the_archiver(
    database_url: str, engine: AsyncEngine
) -> None:
    await add_account(engine, "acct-1")
    heard = Heard()
    task = Task(id="1000000000000009", dialect="novicezk", action="IMAGINE", prompt="a")
    async with listen_hub(database_url).subscribed(ARCHIVE_CHANNEL, heard.hear):
        await create_task(engine, task)
        leased = {"status": TaskStatus.STARTED, "account_id": "acct-1"}
        await record_change(engine, task.id, leased, kind="started")
        await asyncio.sleep(0.3)
        assert heard == []  # nothing to archive yet
        done = {
            "status": TaskStatus.SUCCESS,
            "image_url": "https://cdn.discordapp.com/attachments/1/2/grid.png",
            "progress": 100,
        }
        await record_change(engine, task.id, done, kind="finished")
        await heard.until(1)
        await asyncio.sleep(0.3)
    assert heard == [""]
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name, state FROM task_objects"))).all()
    assert ("image", "pending") in [tuple(r) for r in rows]


async def test_a_new_task_with_a_notify_url_wakes_the_dispatchers(
    database_url: str, engine: AsyncEngine
) -> None:
    heard = Heard()
    task = Task(id="1000000000000010", dialect="novicezk", action="IMAGINE", prompt="b",
                notify_url="http://example.test/hook")  # fmt: skip
    async with listen_hub(database_url).subscribed(DELIVERIES_CHANNEL, heard.hear):
        stored = await create_task(engine, task)
        await heard.until(1)
    async with engine.connect() as conn:
        [row] = (await conn.execute(text("SELECT seq, url, payload FROM deliveries"))).all()
    assert (row.seq, row.url) == (1, "http://example.test/hook")
    assert bytes(row.payload) == render_callback(stored)
    assert json.loads(bytes(row.payload))["id"] == task.id
