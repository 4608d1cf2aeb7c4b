"""Small previews for the task list: `/dashboard/thumbs/{task_id}.webp`.

A Midjourney grid is a few megabytes; a list of sixty of them would be a slow page. The archiver
stores a WebP of at most 384 px a side next to each result image (app/storage/archive.py); this
route streams it from the store. A task not archived yet gets its image copied (and so its
thumbnail made) on the first request, as `/files` does.
"""

from __future__ import annotations

import logging

import httpx
from sqlalchemy.engine import RowMapping
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.api.files import store_of, stored_object, stream_object
from app.dashboard.views import file_path
from app.domain.task import Task
from app.storage.archive import store_thumbnail
from app.storage.keys import THUMB
from app.storage.legacy import move_blob
from app.storage.store import NotStored, StorageError
from db import objects as object_queries
from db import task_file_rows
from db import tasks as q

log = logging.getLogger(__name__)

CACHE = "private, max-age=86400"


async def _make_thumbnail(request: Request, task: Task) -> RowMapping | None:
    """The thumbnail row after moving an old blob, or archiving the image, or shrinking it."""
    engine, store = request.app.state.engine, store_of(request)
    async with engine.connect() as conn:
        blob = await task_file_rows.get_task_file(conn, task.id, THUMB)
    if blob is not None and blob["role"] == THUMB:
        await move_blob(engine, store, dict(blob), task.prop("_file_token"))
    else:
        image = await stored_object(request, task, "image")  # archiving makes the thumbnail
        async with engine.connect() as conn:
            thumb = await object_queries.get_object(conn, task.id, THUMB)
        if image is None or (thumb is not None and thumb["state"] == "stored"):
            return thumb
        data = await store.read(image["key"])  # an image stored without one (moved blob)
        await store_thumbnail(engine, store, task, data, source=image["source"])
    async with engine.connect() as conn:
        return await object_queries.get_object(conn, task.id, THUMB)


async def thumbnail(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    engine = request.app.state.engine
    async with engine.connect() as conn:
        row = await q.get_task(conn, task_id)
        thumb = await object_queries.get_object(conn, task_id, THUMB) if row else None
    task = Task.from_row(row) if row is not None else None
    if task is None or not task.image_url:
        return JSONResponse({"error": "no image"}, status_code=404)
    try:
        if thumb is None or thumb["state"] != "stored":
            thumb = await _make_thumbnail(request, task)
        if thumb is not None and thumb["state"] == "stored":
            return await stream_object(request, thumb, "image", f"{task_id}-thumb", cache=CACHE)
    except (httpx.HTTPError, ValueError, TimeoutError, StorageError, NotStored) as exc:
        log.warning("no thumbnail for task %s: %s", task_id, type(exc).__name__)
    path = file_path(task, "image")  # never the raw result URL: it may point anywhere
    if path is None or not path.startswith("/files/"):
        return JSONResponse({"error": "no image"}, status_code=404)
    return RedirectResponse(path, 307)
