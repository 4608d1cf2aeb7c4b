"""A store that fails: /files answers 502 with a reason that carries no file token, and so does
its log line (the token is a capability: whoever has it can read the file)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.location import parse_storage_url
from app.storage.store import ObjectStore
from tests.integration.storage.helpers import web_client
from tests.integration.storage.test_lifecycle import stored_task


async def test_a_failing_store_names_no_token(
    database_url: str, engine: AsyncEngine, tmp_path: Path, caplog
) -> None:
    folder = tmp_path / "files"
    location = parse_storage_url(f"file://{folder}")
    key = await stored_task(engine, ObjectStore(location), "1980000000000000001")
    (folder / key).unlink()
    (folder / key).mkdir()  # a folder where the file was: reading it fails (not "missing")
    async with web_client(database_url, storage_url=location) as client:
        with caplog.at_level(logging.WARNING):
            reply = await client.get("/files/1980000000000000001/cafe/image.png")
    assert reply.status_code == 502
    assert reply.json()["error"].startswith("the image is not available: storage read of")
    assert "{token}" in reply.text
    assert "cafe" not in reply.text and "cafe" not in caplog.text
