"""Copy one result file of a task from Discord into the store, and record it (both processes).

The worker's archiver (app/worker/archiver.py) runs this for every job the SUCCESS transaction
queued, with a re-signing fallback for expired links; the web process runs it for a `/files`
request that finds no stored copy yet (no worker has got to it, or an old task). The copy is
idempotent: the key is fixed per task and file, so a repeated copy rewrites the same bytes.
An image also gets its dashboard thumbnail here, and a video clip its poster (the first frame),
so no request ever shrinks one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import anyio
from PIL import UnidentifiedImageError

from app.domain.media import sniff_media_type
from app.domain.results import (
    POSTER_EXTENSION,
    RESULT_KINDS,
    VIDEO_KINDS,
    poster_of,
    result_source,
)
from app.domain.task import Task
from app.storage.keys import THUMB, object_key
from app.storage.refresh import Refresher
from app.storage.sources import Downloaded, ResultSources, UnavailableSource, download
from app.storage.store import ObjectStore
from app.storage.thumbs import THUMB_TYPE, shrink
from app.storage.video_frames import POSTER_TYPE, NoVideo, poster
from db import accounts as account_queries
from db import objects as object_queries

log = logging.getLogger(__name__)

MAX_RESULT_BYTES = 200 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 60.0
DOWNLOAD_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Archived:
    key: str
    content_type: str
    size: int
    sha256: str


def source_url(task: Task, kind: str) -> str | None:
    return result_source(task, kind)


async def sources_for(conn: Any, task: Task, default_api_base: str) -> ResultSources:
    """Discord's CDN, plus the sandbox (or proxy) the task's account talks to, if any."""
    account = await account_queries.get_account(conn, task.account_id) if task.account_id else None
    api_base = (account["api_base"] if account is not None else None) or default_api_base
    return ResultSources.for_api_base(api_base)


async def fetch(url: str, sources: ResultSources, refresh: Refresher | None) -> Downloaded:
    """The file behind `url`; an expired link is signed afresh once when `refresh` is given."""
    try:
        return await download(
            url, sources, max_bytes=MAX_RESULT_BYTES, timeout_s=DOWNLOAD_TIMEOUT_S
        )
    except UnavailableSource:
        fresh = await refresh(url) if refresh is not None else None
        if not fresh:
            raise
        log.info("result link re-signed by Discord")
        return await download(
            fresh, sources, max_bytes=MAX_RESULT_BYTES, timeout_s=DOWNLOAD_TIMEOUT_S
        )


async def archive_file(
    engine: Any,
    store: ObjectStore,
    task: Task,
    kind: str,
    key: str,
    *,
    default_api_base: str,
    refresh: Refresher | None = None,
    sources: ResultSources | None = None,
) -> Archived:
    """Download the task's `kind` result, put it under `key`, record it as stored. `sources`:
    where its files may come from, when the caller read the task's account already."""
    url = source_url(task, kind) if kind in RESULT_KINDS else None
    if not url:
        raise LookupError(f"task {task.id} has no {kind}")
    if sources is None:
        async with engine.connect() as conn:
            sources = await sources_for(conn, task, default_api_base)
    fetched = await fetch(url, sources, refresh)
    content_type = sniff_media_type(fetched.data) or DOWNLOAD_TYPE
    archived = await _put_and_record(
        engine, store, task.id, kind, key, fetched.data, content_type, source=url
    )
    if kind == "image" and content_type.startswith("image/"):
        await store_thumbnail(engine, store, task, fetched.data, source=url)
    if kind in VIDEO_KINDS and content_type.startswith("video/"):
        await store_poster(engine, store, task, kind, fetched.data, source=url)
    return archived


def poster_key(task: Task, kind: str) -> str:
    return object_key(task.id, task.prop("_file_token"), f"{poster_of(kind)}{POSTER_EXTENSION}")


async def store_poster(
    engine: Any, store: ObjectStore, task: Task, kind: str, video: bytes, *, source: str | None
) -> Archived | None:
    """A clip's poster: its first frame as a small WebP; None when PyAV cannot read the clip."""
    try:
        small = await anyio.to_thread.run_sync(poster, video)
    except (NoVideo, UnidentifiedImageError, OSError, ValueError) as exc:
        log.warning("no poster for task %s: %s", task.id, type(exc).__name__)
        return None
    return await _put_and_record(
        engine,
        store,
        task.id,
        poster_of(kind),
        poster_key(task, kind),
        small,
        POSTER_TYPE,
        source=source,
    )


async def store_thumbnail(
    engine: Any, store: ObjectStore, task: Task, image: bytes, *, source: str | None
) -> Archived | None:
    """The dashboard's small WebP of a result image; None when Pillow cannot read it."""
    try:
        small = await anyio.to_thread.run_sync(shrink, image)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        log.warning("no thumbnail for task %s: %s", task.id, type(exc).__name__)
        return None
    key = object_key(task.id, task.prop("_file_token"), f"{THUMB}.webp")
    return await _put_and_record(
        engine, store, task.id, THUMB, key, small, THUMB_TYPE, source=source
    )


async def _put_and_record(
    engine: Any,
    store: ObjectStore,
    task_id: str,
    name: str,
    key: str,
    data: bytes,
    content_type: str,
    *,
    source: str | None,
) -> Archived:
    """Put `data` under `key`, then record the task's `name` object as stored."""
    archived = Archived(key, content_type, len(data), hashlib.sha256(data).hexdigest())
    await store.put(key, data, content_type)
    await object_queries.mark_stored(
        engine,
        task_id=task_id,
        name=name,
        key=key,
        content_type=content_type,
        size=archived.size,
        sha256=archived.sha256,
        source=source,
    )
    return archived
