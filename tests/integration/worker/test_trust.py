"""Only the bots are believed: an impostor bot or webhook in the channel changes nothing.

Over the sandbox's gateway, a bot dressed as Midjourney (same name, avatar and bot flag, another
id) posts what would otherwise disable the account ("Blocked") or finish a running task with an
image on its own host (a describe result replying to the task's message).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db.tasks import list_task_events
from tests.stack import WAIT_S, running_worker

RED = 16711680
BLOCKED = {"type": "rich", "title": "Blocked", "color": RED,
           "description": "You have been blocked from accessing Midjourney."}  # fmt: skip
DESCRIBED = {
    "type": "rich",
    "color": 3092790,
    "description": "1\ufe0f\u20e3 evil one\n\n2\ufe0f\u20e3 evil two",
    "image": {"url": "https://evil.example/owned.svg", "width": 64, "height": 64},
}


async def _imagine(engine: AsyncEngine, task_id: str, prompt: str) -> None:
    await taskstore.create_task(
        engine, Task(id=task_id, dialect="novicezk", action="IMAGINE", prompt=prompt)
    )


async def _account(engine: AsyncEngine) -> dict:
    async with engine.connect() as conn:
        return dict((await conn.execute(text("SELECT * FROM accounts"))).mappings().one())


async def _until_running_with_message(engine: AsyncEngine, task_id: str) -> Task:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        task = await taskstore.get_task(engine, task_id)
        assert task is not None
        if task.status == "RUNNING" and task.message_id:
            return task
        assert asyncio.get_running_loop().time() < deadline, f"{task_id} is {task.status}"
        await asyncio.sleep(0.05)


async def _finished_or_account_disabled(engine: AsyncEngine, task_id: str) -> Task:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        task = await taskstore.get_task(engine, task_id)
        assert task is not None
        if task.status in ("SUCCESS", "FAILURE") or (await _account(engine))["health"] != "ok":
            return task
        assert asyncio.get_running_loop().time() < deadline, f"{task_id} is {task.status}"
        await asyncio.sleep(0.05)


async def test_impostor_messages_neither_disable_the_account_nor_change_a_task(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=12) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with running_worker(database_url, engine):
            await sb.inject_fault("drop_final", account=0)  # the task keeps running
            await _imagine(engine, "1200000000000001", "a lighthouse in a storm")
            running = await _until_running_with_message(engine, "1200000000000001")
            reply_to = running.message_id
            await sb.inject_fault("impostor", account=0, embed=DESCRIBED, reply_to=reply_to)
            await sb.inject_fault("impostor", account=0, embed=BLOCKED, reply_to=reply_to)
            await sb.inject_fault("impostor", account=0, embed=BLOCKED)
            await sb.inject_fault("impostor", account=0, embed=BLOCKED, webhook=True)
            # The gateway keeps order: once a later task finished, the impostors were read.
            await _imagine(engine, "1200000000000002", "a calm sea at noon")
            later = await _finished_or_account_disabled(engine, "1200000000000002")
            account = await _account(engine)
            untouched = await taskstore.get_task(engine, "1200000000000001")
        async with engine.connect() as conn:
            kinds = [e["kind"] for e in await list_task_events(conn, "1200000000000001")]
    assert account["enabled"] and account["health"] == "ok", account["health_reason"]
    assert later.status == "SUCCESS", later.fail_reason
    assert untouched is not None and untouched.status == "RUNNING"
    assert untouched.image_url is None and untouched.description is None
    assert "described" not in kinds and "requeued" not in kinds, kinds
