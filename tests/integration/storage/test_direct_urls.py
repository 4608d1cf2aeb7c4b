"""Result URLs that point at the store itself: a public base URL (CDN, bucket website) or a
presigned S3 URL made per request, so the web process serves no bytes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import start_sandbox
from app.storage.location import parse_storage_url
from app.storage.store import ObjectStore
from app.worker.archiver import Archiver
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.storage.helpers import object_row, web_client
from tests.integration.storage.test_expiry import finished_task
from tests.integration.storage.test_lifecycle import PNG

PUBLIC = "https://files.example.com/mj"


async def _archived(
    engine: AsyncEngine, database_url: str, store: ObjectStore, task_id: str
) -> None:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        url = sb.core.cdn.put(f"/attachments/{sb.accounts[0].channel_id}/3/r.png", PNG, "image/png")
        await finished_task(engine, task_id, specs[0].id, url)
        archiver = Archiver(
            engine, store, database_url=database_url, default_api_base=f"{sb.base_url}/api/v9"
        )
        assert await archiver.run_once() == 1


async def test_a_public_url_replaces_files_once_archived(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    location = parse_storage_url(f"file://{tmp_path / 'files'}")
    store = ObjectStore(location, public_url=PUBLIC)
    settings = {"storage_url": location, "storage_public_url": PUBLIC}
    task_id = "1970000000000000001"
    async with web_client(database_url, **settings) as client:
        await _archived(engine, database_url, store, task_id)
        fetched = json.loads((await client.get(f"/mj/task/{task_id}/fetch")).content)
        redirect = await client.get(f"/files/{task_id}/abcd/image.png")
    key = (await object_row(engine, task_id, "image"))["key"]
    assert fetched["imageUrl"] == f"{PUBLIC}/{key}"
    assert redirect.status_code == 307 and redirect.headers["location"] == f"{PUBLIC}/{key}"
    assert await store.read(key) == PNG


async def test_presigned_urls_are_made_per_request(
    database_url: str, engine: AsyncEngine, s3_server, monkeypatch
) -> None:
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    location = parse_storage_url("s3://mjrelay-test/presigned")
    store = ObjectStore(location, presign_s=300)
    settings = {"storage_url": location, "storage_presign_s": 300}
    task_id = "1970000000000000002"
    await _archived(engine, database_url, store, task_id)
    async with web_client(database_url, **settings) as client:
        fetched = json.loads((await client.get(f"/mj/task/{task_id}/fetch")).content)
        redirect = await client.get(f"/files/{task_id}/abcd/image.png")
    assert fetched["imageUrl"] == f"http://test/files/{task_id}/abcd/image.png"  # never expires
    assert redirect.status_code == 307
    signed = redirect.headers["location"]
    assert signed.startswith(f"{s3_server.endpoint}/mjrelay-test/presigned/tasks/{task_id}/")
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed
    async with httpx.AsyncClient() as plain:
        direct = await plain.get(signed)  # the store serves it, not mjrelay
    assert direct.status_code == 200 and direct.content == PNG
    assert direct.headers["content-type"] == "image/png"
