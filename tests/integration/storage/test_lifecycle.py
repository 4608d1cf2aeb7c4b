"""Objects follow their tasks: retention deletes them, `storage check` finds the odd ones out,
and results archived the old way (bytes in `task_files`) move into the store."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.storage.check import check_storage
from app.storage.keys import object_key
from app.storage.legacy import migrate_legacy_blobs
from app.storage.location import parse_storage_url
from app.storage.store import ObjectStore
from app.worker.retention import purge_once
from db import objects as object_queries
from db import task_file_rows
from tests.integration.storage.conftest import Backend
from tests.integration.storage.helpers import object_row, web_client

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da"
    "636460f85f0f0002870180eb47ba920000000049454e44ae426082"
)


async def stored_task(engine: AsyncEngine, store: ObjectStore, task_id: str) -> str:
    """A finished task whose image is in the store (as the archiver leaves it); its key."""
    task = Task(
        id=task_id,
        dialect="novicezk",
        action="IMAGINE",
        prompt="kept",
        properties={"_file_token": "cafe", "_origin": "http://test"},
    )
    await taskstore.create_task(engine, task)
    await taskstore.record_change(engine, task_id, {"status": "STARTED"}, kind="leased")
    url = f"https://cdn.discordapp.com/attachments/1/2/{task_id}.png?ex=1&is=2&hm=3&"
    await taskstore.record_change(
        engine, task_id, {"status": "SUCCESS", "image_url": url}, kind="finished"
    )
    key = object_key(task_id, "cafe", "image.png")
    await store.put(key, PNG, "image/png")
    async with engine.begin() as conn:
        await object_queries.mark_stored(
            conn, task_id=task_id, name="image", key=key, content_type="image/png",
            size=len(PNG), sha256=hashlib.sha256(PNG).hexdigest(), source=url,
        )  # fmt: skip
    return key


async def test_retention_deletes_a_tasks_objects_with_it(
    engine: AsyncEngine, backend: Backend
) -> None:
    store = ObjectStore(backend.location)
    old_key = await stored_task(engine, store, "1800000000000000001")
    new_key = await stored_task(engine, store, "1800000000000000002")
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tasks SET created_at = now() - interval '40 days' WHERE id = :id"),
            {"id": "1800000000000000001"},
        )
    assert await purge_once(engine, 30, store=store) == 1
    assert not await store.exists(old_key)
    assert await store.exists(new_key)  # a younger task keeps its file
    assert await object_row(engine, "1800000000000000001", "image") is None
    assert (await check_storage(engine, store)).clean


async def test_storage_check_finds_orphans_and_missing_objects(
    engine: AsyncEngine, backend: Backend
) -> None:
    store = ObjectStore(backend.location)
    kept = await stored_task(engine, store, "1800000000000000011")
    lost = await stored_task(engine, store, "1800000000000000012")
    orphan = object_key("1800000000000000099", "beef", "image.png")  # no such task
    await store.put(orphan, PNG, "image/png")
    await store.delete([lost])
    report = await check_storage(engine, store)
    assert report.orphans == [orphan]
    assert report.missing == [("1800000000000000012", "image", lost)]
    assert report.objects == 2 and report.rows == 2
    repaired = await check_storage(engine, store, repair=True, min_age_s=0)
    assert repaired.deleted == 1 and repaired.rearmed == 1
    assert not await store.exists(orphan) and await store.exists(kept)
    row = await object_row(engine, "1800000000000000012", "image")
    assert row["state"] == "pending"  # back to the archiver, which copies it again
    assert (await check_storage(engine, store)).orphans == []


async def test_storage_check_command_exits_1_on_an_orphan(
    database_url: str, engine: AsyncEngine, tmp_path
) -> None:
    location = f"file://{tmp_path / 'files'}"
    store = ObjectStore(parse_storage_url(location))
    await stored_task(engine, store, "1800000000000000021")
    orphan = object_key("1800000000000000098", "beef", "video.mp4")
    await store.put(orphan, b"\0" * 10, "video/mp4")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MJRELAY_", "AWS_"))}
    env.update(DATABASE_URL=database_url, MJRELAY_STORAGE_URL=location)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "storage", "check",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, err.decode()
    assert f"orphan: {orphan}" in out.decode()
    assert "orphans: 1, missing: 0" in out.decode()


async def test_old_blobs_move_into_the_store_and_old_urls_keep_working(
    database_url: str, engine: AsyncEngine, backend: Backend
) -> None:
    store = ObjectStore(backend.location)
    ids = ["1800000000000000031", "1800000000000000032"]
    for task_id in ids:
        task = Task(
            id=task_id,
            dialect="novicezk",
            action="IMAGINE",
            properties={"_file_token": "feed", "_origin": "http://test"},
        )
        await taskstore.create_task(engine, task)
        await taskstore.record_change(engine, task_id, {"status": "STARTED"}, kind="leased")
        url = "https://cdn.discordapp.com/attachments/1/2/x.png?ex=1&is=2&hm=3&"
        await taskstore.record_change(
            engine, task_id, {"status": "SUCCESS", "image_url": url}, kind="finished"
        )
        async with engine.begin() as conn:  # archived before object storage existed
            await task_file_rows.insert_task_file(
                conn, task_id=task_id, name="image", role="result",
                content_type="image/png", data=PNG, source=url,
            )  # fmt: skip
    # The first is served before any migration ran (moved on the way); the second is moved.
    async with web_client(database_url, storage_url=backend.location) as client:
        first = await client.get(f"/files/{ids[0]}/feed/image.png")
    assert first.status_code == 200 and first.content == PNG
    assert await migrate_legacy_blobs(engine, store) == 1
    async with web_client(database_url, storage_url=backend.location) as client:
        second = await client.get(f"/files/{ids[1]}/feed/image.png")
    assert second.status_code == 200 and second.content == PNG
    async with engine.connect() as conn:
        left = await conn.scalar(text("SELECT count(*) FROM task_files WHERE role = 'result'"))
    assert left == 0
    for task_id in ids:
        row = await object_row(engine, task_id, "image")
        assert row["state"] == "stored" and await store.read(row["key"]) == PNG


async def test_head_answers_with_the_headers_and_no_body(
    database_url: str, engine: AsyncEngine, tmp_path
) -> None:
    location = parse_storage_url(f"file://{tmp_path / 'files'}")
    await stored_task(engine, ObjectStore(location), "1800000000000000041")
    async with web_client(database_url, storage_url=location) as client:
        head = await client.head("/files/1800000000000000041/cafe/image.png")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(PNG))
    assert head.headers["etag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
