"""Small previews for the task list: `/dashboard/thumbs/{task_id}.webp`.

A Midjourney grid is a few megabytes; a list of sixty of them would be a slow page. The first
request shrinks the task's archived result (see `app/api/files.py`) to at most THUMB_PX on a
side, in a worker thread, and keeps it in `task_files` (name `thumb`, role `thumb`, `source` =
the result URL it was made from); later requests are one row read.
"""

from __future__ import annotations

import io
import logging

import anyio
import httpx
from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.api.files import archive_result
from app.dashboard.views import file_path
from app.domain.task import Task
from db import tasks as q

log = logging.getLogger(__name__)

THUMB_PX = 384
NAME = "thumb"


def shrink(data: bytes, size: int = THUMB_PX) -> bytes:
    """`data` (any image Pillow reads) as a WebP no larger than `size` on either side."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.thumbnail((size, size))
        image: Image.Image = opened
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


def _image(data: bytes) -> Response:
    return Response(
        data, media_type="image/webp", headers={"Cache-Control": "private, max-age=86400"}
    )


async def thumbnail(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    engine = request.app.state.engine
    async with engine.connect() as conn:
        row = await q.get_task(conn, task_id)
        stored = await q.get_task_file(conn, task_id, NAME) if row is not None else None
    task = Task.from_row(row) if row is not None else None
    if task is None or not task.image_url:
        return JSONResponse({"error": "no image"}, status_code=404)
    if stored is not None and stored["source"] == task.image_url:
        return _image(bytes(stored["data"]))
    try:
        api_base = request.app.state.settings.discord_api_base
        found = await archive_result(engine, task, "image", default_api_base=api_base)
        if found is None:
            return JSONResponse({"error": "no image"}, status_code=404)
        small = await anyio.to_thread.run_sync(shrink, found[0])
    except (httpx.HTTPError, ValueError, TimeoutError, UnidentifiedImageError, OSError) as exc:
        log.warning("no thumbnail for task %s: %s", task_id, exc)
        path = file_path(task, "image")  # never the raw result URL: it may point anywhere
        if path is None or not path.startswith("/files/"):
            return JSONResponse({"error": "no image"}, status_code=404)
        return RedirectResponse(path, 307)
    async with engine.begin() as conn:
        await q.insert_task_file(
            conn,
            task_id=task_id,
            name=NAME,
            role=NAME,
            content_type="image/webp",
            data=small,
            source=task.image_url,
        )
    return _image(small)
