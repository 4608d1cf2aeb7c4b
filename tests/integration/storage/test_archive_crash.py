"""kill -9 of the worker between a task's SUCCESS and its archive: the next worker archives it,
with either store."""

from __future__ import annotations

import asyncio
import signal
import subprocess

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.storage.store import ObjectStore
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.storage.conftest import Backend
from tests.integration.storage.helpers import (
    object_row,
    wait_for_stored,
    wait_for_success,
    wait_until,
)
from tests.stack import worker_process

TASK_ID = "1950000000000000001"


def _worker(database_url: str, storage: Backend, worker_id: str) -> subprocess.Popen[bytes]:
    return worker_process(
        database_url,
        worker_id,
        MJRELAY_STORAGE_URL=storage.url,
        MJRELAY_ACCOUNT_LEASE_TTL_S="3",
        MJRELAY_POLL_INTERVAL_S="0.3",
        **storage.env,
    )


async def test_kill_9_mid_archive_the_next_worker_archives(
    database_url: str, engine: AsyncEngine, backend: Backend
) -> None:
    storage = backend
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=9) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        sb.core.cdn.delay_s = 60.0  # the archiver's download hangs: the worker dies inside it
        first = _worker(database_url, storage, "doomed")
        try:
            task = Task(
                id=TASK_ID,
                dialect="novicezk",
                action="IMAGINE",
                prompt="a harbour crane at night",
                properties={"_file_token": "0a0b", "_origin": "http://test"},
            )
            await taskstore.create_task(engine, task)
            done = await wait_for_success(engine, TASK_ID)

            async def attempted() -> bool:
                row = await object_row(engine, TASK_ID, "image")
                return row is not None and row["attempts"] >= 1

            await wait_until(attempted, "the archiver to start its download")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        row = await object_row(engine, TASK_ID, "image")
        assert row["state"] == "pending"  # SUCCESS recorded, the copy never finished
        sb.core.cdn.delay_s = 0.0
        assert done.image_url is not None
        async with httpx.AsyncClient() as discord:
            original = (await discord.get(done.image_url)).content
        second = _worker(database_url, storage, "heir")
        try:
            row = await wait_for_stored(engine, TASK_ID, "image")
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(second.wait, 20)
            except subprocess.TimeoutExpired:
                second.kill()
    store = ObjectStore(backend.location)
    assert await store.read(row["key"]) == original
