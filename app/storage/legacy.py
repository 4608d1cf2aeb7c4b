"""Results archived before object storage (bytes in `task_files`) moved into the store.

Each blob is put under the key the archiver would have used, recorded in `task_objects`, then
dropped from `task_files`, one row per transaction: an interrupted move is simply resumed (the put
is idempotent). The worker runs this at start; `mjrelay storage migrate` runs it on demand.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from app.dialects.common import media_extension
from app.domain.media import sniff_media_type
from app.storage.keys import THUMB, object_key
from app.storage.store import ObjectStore
from db import objects as object_queries

log = logging.getLogger(__name__)

BATCH = 50
DOWNLOAD_TYPE = "application/octet-stream"


def legacy_filename(name: str, source: str | None) -> str:
    return f"{THUMB}.webp" if name == THUMB else f"{name}{media_extension(source)}"


async def move_blob(engine: Any, store: ObjectStore, row: dict[str, Any], token: str | None) -> str:
    """Put one `task_files` result blob into the store, record it, drop the blob; its key."""
    data = bytes(row["data"])
    key = object_key(row["task_id"], token, legacy_filename(row["name"], row["source"]))
    content_type = sniff_media_type(data) or DOWNLOAD_TYPE  # the bytes, not the stored word
    await store.put(key, data, content_type)
    async with engine.begin() as conn:
        await object_queries.mark_stored(
            conn,
            task_id=row["task_id"],
            name=row["name"],
            key=key,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            source=row["source"],
        )
        await object_queries.drop_legacy_blob(conn, task_id=row["task_id"], name=row["name"])
    return key


async def migrate_legacy_blobs(engine: Any, store: ObjectStore, *, batch: int = BATCH) -> int:
    """Move every legacy result blob into the store; how many were moved."""
    moved = 0
    while True:
        async with engine.connect() as conn:
            rows = await object_queries.legacy_blobs(conn, limit=batch)
        for row in rows:
            await move_blob(engine, store, dict(row), row["token"])
        moved += len(rows)
        if len(rows) < batch:
            break
    if moved:
        log.info("moved archived results into the store", extra={"files": moved})
    return moved
