"""Helpers for storage tests: the web app and a worker on one database and one store."""

from __future__ import annotations

import asyncio
import json
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from db import objects as object_queries
from tests.web import app_client

WAIT_S = 60.0


def web_client(
    database_url: str, **settings: Any
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    settings.setdefault("allowed_hosts", ("test",))  # the Host the client sends
    return app_client(database_url, **settings)


async def submit_imagine(client: httpx.AsyncClient, prompt: str) -> str:
    reply = await client.post("/novicezk/mj/submit/imagine", json={"prompt": prompt})
    body = json.loads(reply.content)
    assert body["code"] == 1, body
    return str(body["result"])


async def wait_until(check: Any, what: str, timeout_s: float = WAIT_S) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def wait_for_success(engine: AsyncEngine, task_id: str) -> Task:
    async def done() -> Task | None:
        task = await taskstore.get_task(engine, task_id)
        assert task is not None
        assert task.status != "FAILURE", task.fail_reason
        return task if task.status == "SUCCESS" else None

    found: Task = await wait_until(done, f"task {task_id} to succeed")
    return found


async def object_row(engine: AsyncEngine, task_id: str, name: str) -> Any:
    async with engine.connect() as conn:
        return await object_queries.get_object(conn, task_id, name)


async def wait_for_stored(engine: AsyncEngine, task_id: str, name: str = "image") -> Any:
    async def stored() -> Any:
        row = await object_row(engine, task_id, name)
        return row if row is not None and row["state"] == "stored" else None

    return await wait_until(stored, f"the {name} of task {task_id} to be stored")


async def event_kinds(engine: AsyncEngine, task_id: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind FROM task_events WHERE task_id = :t ORDER BY seq"), {"t": task_id}
        )
        return list(rows.scalars())
