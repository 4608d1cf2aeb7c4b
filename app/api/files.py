"""Result files at `/files/{task_id}/{token}/{image|video}{.ext}`: URLs that do not expire.

Discord's attachment links are signed and stop working after about a day. A task's rendered
`imageUrl` / `videoUrl` therefore points here (at `MJRELAY_CDN_HOST`, or the origin the client
submitted to). The first request copies the file from Discord into `task_files` (role
`result`); later requests are served from PostgreSQL, long after Discord's link has expired.
The `token` is random per task, so result URLs cannot be guessed from task ids.

The copy comes only from Discord's CDN (or the account's sandbox), through the SSRF guard
(`result_sources.py`). What is served is judged by its bytes, never by the upstream header or
the stored type: PNG/JPEG/WEBP/GIF and MP4/QuickTime/WebM are shown inline with their real type;
anything else (HTML, SVG, …) is only ever a download (`application/octet-stream`, attachment).
Always `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.result_sources import ResultSources, download
from app.discord.constants import DEFAULT_API_BASE
from app.domain.media import media_extension_of, sniff_media_type
from app.domain.task import Task
from db import accounts as account_queries
from db import tasks as q

log = logging.getLogger(__name__)

DEFAULT_ARCHIVE_TIMEOUT_S = 30.0
MAX_RESULT_BYTES = 200 * 1024 * 1024
DOWNLOAD_TYPE = "application/octet-stream"
_KINDS = ("image", "video")


def _not_found(message: str = "file not found") -> JSONResponse:
    return JSONResponse({"error": message}, status_code=404)


async def result_sources(conn: Any, task: Task, default_api_base: str) -> ResultSources:
    """Discord's CDN, plus the sandbox (or proxy) the task's account talks to, if any."""
    account = await account_queries.get_account(conn, task.account_id) if task.account_id else None
    api_base = (account["api_base"] if account is not None else None) or default_api_base
    return ResultSources.for_api_base(api_base)


async def archive_result(
    engine: Any, task: Task, kind: str, *, default_api_base: str = DEFAULT_API_BASE
) -> tuple[bytes, str] | None:
    """Store the task's `kind` result in `task_files` (idempotent); None when it has none."""
    url = task.image_url if kind == "image" else task.video_url
    if not url:
        return None
    async with engine.connect() as conn:
        stored = await q.get_task_file(conn, task.id, kind)
        sources = await result_sources(conn, task, default_api_base)
    if stored is not None and stored["source"] == url:
        return bytes(stored["data"]), stored["content_type"]
    fetched = await download(
        url, sources, max_bytes=MAX_RESULT_BYTES, timeout_s=DEFAULT_ARCHIVE_TIMEOUT_S
    )
    content_type = sniff_media_type(fetched.data) or DOWNLOAD_TYPE
    async with engine.begin() as conn:
        await q.insert_task_file(
            conn,
            task_id=task.id,
            name=kind,
            role="result",
            content_type=content_type,
            data=fetched.data,
            source=url,
        )
    return fetched.data, content_type


def file_response(data: bytes, task_id: str, kind: str) -> Response:
    """The bytes with the type they really have; inline only for a real image or video."""
    media_type = sniff_media_type(data)
    if media_type is not None and media_type.startswith(f"{kind}/"):
        disposition = f'inline; filename="{task_id}{media_extension_of(media_type)}"'
    else:
        media_type, disposition = DOWNLOAD_TYPE, f'attachment; filename="{task_id}.bin"'
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)


def reason_of(exc: Exception) -> str:
    """The error's text, or its class when it has none (`str(TimeoutError())` is empty)."""
    return str(exc) or type(exc).__name__


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
    api_base = request.app.state.settings.discord_api_base
    try:
        found = await archive_result(engine, task, kind, default_api_base=api_base)
    except (httpx.HTTPError, ValueError, TimeoutError) as exc:
        reason = reason_of(exc)
        log.warning("could not copy the %s of task %s: %s", kind, task_id, reason)
        return JSONResponse({"error": f"the {kind} is not available: {reason}"}, status_code=502)
    if found is None:
        return _not_found(f"task {task_id} has no {kind}")
    return file_response(found[0], task_id, kind)
