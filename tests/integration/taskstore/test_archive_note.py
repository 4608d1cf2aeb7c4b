"""A task's SUCCESS queues its archive jobs and wakes the archiver at COMMIT, once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.status import TaskStatus
from app.domain.task import Task
from app.taskstore import create_task, record_change
from db.listen import listen_hub
from db.objects import ARCHIVE_CHANNEL
from tests.integration.taskstore.test_wake_note import Heard


async def test_success_queues_the_archive_and_wakes_the_archiver(
    database_url: str, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, token, guild_id, channel_id)"
                " VALUES ('acct-1', 'tok', 'g', 'c')"
            )
        )
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
