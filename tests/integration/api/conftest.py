"""API contract-test helpers: the app over httpx.ASGITransport on a fresh database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select, text

from app.taskstore import record_change
from db.tables import deliveries, task_events, task_files, tasks
from tests.web import app_client

HASH = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"
ACCOUNT = "acct-1"


def grid_buttons(job_hash: str = HASH) -> list[dict[str, Any]]:
    row1 = [
        {
            "type": 2,
            "style": 2,
            "label": f"U{i}",
            "custom_id": f"MJ::JOB::upsample::{i}::{job_hash}",
        }
        for i in range(1, 5)
    ]
    row1.append(
        {
            "type": 2,
            "style": 2,
            "emoji": {"name": "🔄"},
            "custom_id": f"MJ::JOB::reroll::0::{job_hash}::SOLO",
        }
    )
    row2 = [
        {
            "type": 2,
            "style": 2,
            "label": f"V{i}",
            "custom_id": f"MJ::JOB::variation::{i}::{job_hash}",
        }
        for i in range(1, 5)
    ]
    return [{"type": 1, "components": row1}, {"type": 1, "components": row2}]


def upscale_buttons(job_hash: str = HASH) -> list[dict[str, Any]]:
    ids = [
        f"MJ::JOB::upsample_v6r1_2x_subtle::1::{job_hash}::SOLO",
        f"MJ::JOB::upsample_v6r1_2x_creative::1::{job_hash}::SOLO",
        f"MJ::JOB::low_variation::1::{job_hash}::SOLO",
        f"MJ::JOB::high_variation::1::{job_hash}::SOLO",
        f"MJ::Inpaint::1::{job_hash}::SOLO",
        f"MJ::Outpaint::50::1::{job_hash}::SOLO",
        f"MJ::Outpaint::75::1::{job_hash}::SOLO",
        f"MJ::CustomZoom::{job_hash}",
        f"MJ::JOB::pan_left::1::{job_hash}::SOLO",
        f"MJ::BOOKMARK::{job_hash}",
    ]
    return [{"type": 1, "components": [{"type": 2, "style": 2, "custom_id": c} for c in ids]}]


async def add_account(
    engine, account_id: str = ACCOUNT, *, concurrency: int = 50, queue_size: int = 10
) -> None:
    # Roomy by default: no worker runs here, so submits pile up as pending (see test_queue.py).
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, name, token, guild_id, channel_id, concurrency,"
                " queue_size) VALUES (:id, 'one', 'SECRET-TOKEN-xyz', 'g1', :id, :c, :q)"
            ),
            {"id": account_id, "c": concurrency, "q": queue_size},
        )


async def finish(engine, task_id: str, *, buttons=None, account: str | None = ACCOUNT, **extra):
    """Walk a task to SUCCESS the way the worker does (through record_change)."""
    await record_change(
        engine, task_id, {"status": "STARTED", "account_id": account}, kind="leased"
    )
    await record_change(
        engine, task_id, {"status": "SUBMITTED", "nonce": "1300000000000000001"}, kind="sent"
    )
    await record_change(
        engine,
        task_id,
        {"status": "RUNNING", "progress": 46, "preview_url": "https://cdn.discordapp.com/p.webp"},
        kind="progress",
    )
    values = {
        "status": "SUCCESS",
        "progress": 100,
        "image_url": f"https://cdn.discordapp.com/attachments/1/2/user_cat_{HASH}.png?ex=1&",
        "message_id": "1300000000000000301",
        "message_hash": HASH,
        "message_flags": 0,
        "final_prompt": "a small cat",
        "buttons": grid_buttons() if buttons is None else buttons,
    }
    values.update(extra)
    return await record_change(engine, task_id, values, kind="finished")


async def counts(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        found = {}
        for table in (tasks, task_events, deliveries, task_files):
            found[table.name] = await conn.scalar(select(func.count()).select_from(table))
        return found


async def deliveries_of(engine, task_id: str) -> list[Any]:
    """The task's callback rows (the outbox), in order."""
    query = select(deliveries).where(deliveries.c.task_id == task_id).order_by(deliveries.c.seq)
    async with engine.connect() as conn:
        return list((await conn.execute(query)).mappings())


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest_asyncio.fixture(loop_scope="session")
async def api(database_url: str) -> ClientFactory:
    """`async with api(**settings) as client:` — the app on this test's database."""

    def open_client(**settings: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings.setdefault("allowed_hosts", ("test",))  # the Host this client sends
        return app_client(database_url, **settings)

    return open_client


def body(response: httpx.Response) -> Any:
    return json.loads(response.content)


@pytest.fixture
def png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )


@asynccontextmanager
async def no_writes(engine) -> AsyncIterator[None]:
    """Assert the block changes no row count in tasks, events, deliveries or files."""
    before = await counts(engine)
    yield
    assert await counts(engine) == before


def data_url(data: bytes, content_type: str = "image/png") -> str:
    import base64

    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
