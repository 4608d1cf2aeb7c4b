"""Eager archiving end to end: a result nobody fetched outlives Discord, with either backend."""

from __future__ import annotations

import hashlib
import json

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import start_sandbox
from app.storage.store import ObjectStore
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.storage.conftest import Backend
from tests.integration.storage.helpers import (
    event_kinds,
    object_row,
    submit_imagine,
    wait_for_stored,
    wait_for_success,
    web_client,
)
from tests.stack import running_worker


async def test_a_result_nobody_fetched_is_served_after_discord_is_gone(
    database_url: str, engine: AsyncEngine, backend: Backend
) -> None:
    settings = {"storage_url": backend.location}
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=5) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with (
            web_client(database_url, **settings) as client,
            running_worker(database_url, engine, **settings),
        ):
            task_id = await submit_imagine(client, "a lighthouse at dusk, archived")
            task = await wait_for_success(engine, task_id)
            await wait_for_stored(engine, task_id, "image")
            await wait_for_stored(engine, task_id, "thumb")
        assert task.image_url is not None
        async with httpx.AsyncClient() as discord:  # Discord's own bytes, for comparison
            original = (await discord.get(task.image_url)).content
    assert original.startswith(b"\x89PNG")
    # The sandbox (Discord) is gone now; only the store has the file.
    async with web_client(database_url, **settings) as client:
        fetched = json.loads((await client.get(f"/mj/task/{task_id}/fetch")).content)
        path = fetched["imageUrl"].removeprefix("http://test")
        assert path.startswith(f"/files/{task_id}/")
        whole = await client.get(path)
        etag = whole.headers["etag"]
        cached = await client.get(path, headers={"If-None-Match": etag})
        part = await client.get(path, headers={"Range": "bytes=8-23"})
        tail = await client.get(path, headers={"Range": "bytes=-10"})
        beyond = await client.get(path, headers={"Range": f"bytes={len(original)}-"})
        stale = await client.get(path, headers={"Range": "bytes=0-3", "If-Range": '"other"'})
        thumb = await client.get(f"/dashboard/thumbs/{task_id}.webp")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["content-length"] == str(len(original))
    assert etag == f'"{hashlib.sha256(original).hexdigest()}"'
    assert "immutable" in whole.headers["cache-control"]
    assert whole.headers["accept-ranges"] == "bytes"
    assert cached.status_code == 304 and cached.content == b""
    assert part.status_code == 206 and part.content == original[8:24]
    assert part.headers["content-range"] == f"bytes 8-23/{len(original)}"
    assert part.headers["content-length"] == "16"
    assert tail.status_code == 206 and tail.content == original[-10:]
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(original)}"
    assert stale.status_code == 200 and stale.content == original
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    row = await object_row(engine, task_id, "image")
    assert row["size"] == len(original)
    store = ObjectStore(backend.location)
    assert await store.read(row["key"]) == original  # in the store named by the setting
    assert "archived" in await event_kinds(engine, task_id)
