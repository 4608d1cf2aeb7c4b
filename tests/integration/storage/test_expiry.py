"""Discord's links expire: the sandbox's do too, and the archiver asks for fresh ones
(`POST /attachments/refresh-urls`) before giving up; a final failure keeps Discord's URL."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.storage.location import parse_storage_url
from app.storage.store import ObjectStore
from app.worker.archiver import Archiver
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.storage.helpers import event_kinds, object_row, web_client
from tests.integration.storage.test_lifecycle import PNG


async def finished_task(engine: AsyncEngine, task_id: str, account_id: str, url: str) -> None:
    task = Task(
        id=task_id,
        dialect="novicezk",
        action="IMAGINE",
        properties={"_file_token": "abcd", "_origin": "http://test"},
    )
    await taskstore.create_task(engine, task)
    await taskstore.record_change(
        engine, task_id, {"status": "STARTED", "account_id": account_id}, kind="leased"
    )
    await taskstore.record_change(
        engine, task_id, {"status": "SUCCESS", "image_url": url}, kind="finished"
    )


async def test_an_expired_link_is_re_signed_then_archived(
    database_url: str, engine: AsyncEngine, tmp_path
) -> None:
    location = parse_storage_url(f"file://{tmp_path / 'files'}")
    store = ObjectStore(location)
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, link_ttl_s=1) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        channel = sb.accounts[0].channel_id
        url = sb.core.cdn.put(f"/attachments/{channel}/1/grid_0.png", PNG, "image/png")
        await finished_task(engine, "1900000000000000001", specs[0].id, url)
        await asyncio.sleep(1.5)
        async with httpx.AsyncClient() as plain:
            assert (await plain.get(url)).status_code == 404  # expired, as on Discord
            refused = await plain.post(
                f"{sb.base_url}/api/v9/attachments/refresh-urls", json={"attachment_urls": [url]}
            )
            assert refused.status_code == 401  # re-signing takes an account's token
        # The web process never talks to Discord's API: it cannot re-sign, so no copy yet.
        async with web_client(database_url, storage_url=location) as client:
            early = await client.get("/files/1900000000000000001/abcd/image.png")
        assert early.status_code == 502 and "HTTP 404" in early.json()["error"]
        archiver = Archiver(
            engine, store, database_url=database_url, default_api_base=f"{sb.base_url}/api/v9"
        )
        assert await archiver.run_once() == 1
    row = await object_row(engine, "1900000000000000001", "image")
    assert row["state"] == "stored" and row["attempts"] == 1
    assert await store.read(row["key"]) == PNG
    assert (await object_row(engine, "1900000000000000001", "thumb"))["state"] == "stored"
    assert "archived" in await event_kinds(engine, "1900000000000000001")
    async with web_client(database_url, storage_url=location) as client:
        served = await client.get("/files/1900000000000000001/abcd/image.png")
    assert served.status_code == 200 and served.content == PNG


async def test_a_final_failure_keeps_discords_url_and_says_so(
    database_url: str, engine: AsyncEngine, tmp_path
) -> None:
    store = ObjectStore(parse_storage_url(f"file://{tmp_path / 'files'}"))
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        gone = f"{sb.base_url}/attachments/{sb.accounts[0].channel_id}/9/deleted.png?ex=1&is=1&hm=0"
        await finished_task(engine, "1900000000000000002", specs[0].id, gone)
        archiver = Archiver(
            engine,
            store,
            database_url=database_url,
            default_api_base=f"{sb.base_url}/api/v9",
            delays=(0.0, 0.0),  # two attempts, back to back
        )
        assert await archiver.run_once() == 1
        row = await object_row(engine, "1900000000000000002", "image")
        assert row["state"] == "pending" and "HTTP 404" in row["last_error"]
        assert await archiver.run_once() == 1
    row = await object_row(engine, "1900000000000000002", "image")
    assert row["state"] == "failed" and row["attempts"] == 2
    task = await taskstore.get_task(engine, "1900000000000000002")
    assert task is not None and task.image_url == gone  # Discord's URL is kept
    async with engine.connect() as conn:
        event = (
            await conn.execute(
                text("SELECT data FROM task_events WHERE task_id = :t AND kind = 'archive_failed'"),
                {"t": task.id},
            )
        ).scalar_one()
    data = event if isinstance(event, dict) else json.loads(event)
    assert data["file"] == "image" and "HTTP 404" in data["reason"]
    assert "hm=0" not in data["reason"]  # the link's signature stays out of the history
