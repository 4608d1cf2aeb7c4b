"""Result files at `/files/{task_id}/{token}/{image|video}{.ext}`: URLs that do not expire.

Discord's attachment links are signed and stop working after about a day. A task's rendered
`imageUrl` / `videoUrl` therefore points here (at `MJRELAY_CDN_HOST`, or the origin the client
submitted to). The first request copies the file from Discord into `task_files` (role
`result`); later requests are served from PostgreSQL, long after Discord's link has expired.
The `token` is random per task, so result URLs cannot be guessed from task ids.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.dialects.common import media_extension
from app.domain.task import Task
from db import tasks as q

log = logging.getLogger(__name__)

DEFAULT_ARCHIVE_TIMEOUT_S = 30.0
MAX_RESULT_BYTES = 200 * 1024 * 1024
_KINDS = ("image", "video")


def _not_found(message: str = "file not found") -> JSONResponse:
    return JSONResponse({"error": message}, status_code=404)


async def download(url: str, timeout_s: float = DEFAULT_ARCHIVE_TIMEOUT_S) -> tuple[bytes, str]:
    """Copy a result from the URL the bot's message carried (Discord's CDN, or the sandbox's)."""
    async with (
        asyncio.timeout(timeout_s),
        httpx.AsyncClient(trust_env=False, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        response.raise_for_status()
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_RESULT_BYTES:
                raise ValueError("result file too large")
            chunks.append(chunk)
        content_type = response.headers.get("content-type", "application/octet-stream")
        return b"".join(chunks), content_type.split(";")[0].strip()


async def archive_result(engine: object, task: Task, kind: str) -> tuple[bytes, str] | None:
    """Store the task's `kind` result in `task_files` (idempotent); None when it has none."""
    url = task.image_url if kind == "image" else task.video_url
    if not url:
        return None
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        stored = await q.get_task_file(conn, task.id, kind)
    if stored is not None and stored["source"] == url:
        return bytes(stored["data"]), stored["content_type"]
    data, content_type = await download(url)
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        await q.insert_task_file(
            conn,
            task_id=task.id,
            name=kind,
            role="result",
            content_type=content_type,
            data=data,
            source=url,
        )
    return data, content_type


async def serve(request: Request) -> Response:
    """A task's result image or video (stored on first use; immutable afterwards)."""
    task_id, token, name = (request.path_params[k] for k in ("task_id", "token", "name"))
    kind = name.split(".", 1)[0]
    engine = request.app.state.engine
    async with engine.connect() as conn:
        row = await q.get_task(conn, task_id)
    task = Task.from_row(row) if row is not None else None
    expected = str(task.prop("_file_token", "")) if task is not None else ""
    if task is None or kind not in _KINDS or not hmac.compare_digest(token, expected):
        return _not_found()
    try:
        found = await archive_result(engine, task, kind)
    except (httpx.HTTPError, ValueError, TimeoutError) as exc:
        log.warning("could not copy the %s of task %s: %s", kind, task_id, exc)
        return JSONResponse({"error": f"the {kind} is not available: {exc}"}, status_code=502)
    if found is None:
        return _not_found(f"task {task_id} has no {kind}")
    data, content_type = found
    ext = media_extension(task.image_url if kind == "image" else task.video_url)
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Disposition": f'inline; filename="{task_id}{ext}"',
    }
    return Response(data, media_type=content_type, headers=headers)
