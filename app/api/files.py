"""Result files at `/files/{task_id}/{token}/{image|video}{.ext}`: URLs that do not expire.

A task's rendered `imageUrl` / `videoUrl` points here (at `MJRELAY_CDN_HOST`, or the origin the
client submitted to). The worker copies every result into the object store right after SUCCESS
(app/worker/archiver.py); this route serves that copy, streamed from the store in chunks (never
the whole file in memory) with `Content-Length`, a strong `ETag` (the file's SHA-256), `Range`
and long-lived cache headers. With `MJRELAY_STORAGE_PUBLIC_URL` or presigned URLs
(`MJRELAY_STORAGE_PRESIGN_S`) it redirects to the store instead and serves nothing itself.
A request that comes before the archiver (or for an old task) makes the copy itself from Discord's
CDN, through the SSRF guard (app/storage/sources.py). The `token` is random per task, so result
URLs cannot be guessed from task ids.

The type is the one sniffed from the bytes when they were stored, never the upstream header:
PNG/JPEG/WEBP/GIF and MP4/QuickTime/WebM are shown inline with their real type; anything else
(HTML, SVG, …) is only ever a download (`application/octet-stream`, attachment). Always
`X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import hmac
import logging

import httpx
from sqlalchemy.engine import RowMapping
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from app.domain.media import media_extension_of
from app.domain.results import POSTER_KINDS, RESULT_KINDS, clip_of_poster, media_kind
from app.domain.task import Task
from app.storage.archive import archive_file, store_poster
from app.storage.keys import result_key
from app.storage.legacy import move_blob
from app.storage.ranges import Unsatisfiable, etag_matches, parse_range
from app.storage.store import NotStored, ObjectStore, StorageError
from db import objects as object_queries
from db import task_file_rows
from db import tasks as q

log = logging.getLogger(__name__)

DOWNLOAD_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
_KINDS = (*RESULT_KINDS, *POSTER_KINDS)


def _not_found(message: str = "file not found") -> JSONResponse:
    return JSONResponse({"error": message}, status_code=404)


def reason_of(exc: Exception) -> str:
    """The error's text, or its class when it has none (`str(TimeoutError())` is empty)."""
    return str(exc) or type(exc).__name__


def store_of(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


async def stored_object(
    request: Request, task: Task, kind: str, row: RowMapping | None = None
) -> RowMapping | None:
    """The task's stored `kind` file, copied now (from a legacy blob or Discord) when missing."""
    engine, store = request.app.state.engine, store_of(request)
    if row is None:
        async with engine.connect() as conn:
            row = await object_queries.get_object(conn, task.id, kind)
    if row is not None and row["state"] == "stored":
        return row
    clip = clip_of_poster(kind)
    if clip is not None:
        return await _stored_poster(request, task, clip, kind)
    async with engine.connect() as conn:
        blob = await task_file_rows.get_task_file(conn, task.id, kind)
    if blob is not None and blob["role"] in ("result", "thumb"):
        await move_blob(engine, store, dict(blob), task.prop("_file_token"))
    else:
        key = result_key(task, kind)
        if key is None:
            return None
        api_base = request.app.state.settings.discord_api_base
        await archive_file(engine, store, task, kind, key, default_api_base=api_base)
    async with engine.connect() as conn:
        return await object_queries.get_object(conn, task.id, kind)


async def _stored_poster(request: Request, task: Task, clip: str, kind: str) -> RowMapping | None:
    """A clip's poster: archiving the clip makes it; a clip stored without one (archived before
    posters existed) gets it made from the stored copy now."""
    engine, store = request.app.state.engine, store_of(request)
    video = await stored_object(request, task, clip)
    if video is None:
        return None
    async with engine.connect() as conn:
        row = await object_queries.get_object(conn, task.id, kind)
    if row is None or row["state"] != "stored":
        data = await store.read(video["key"])
        await store_poster(engine, store, task, clip, data, source=video["source"])
        async with engine.connect() as conn:
            row = await object_queries.get_object(conn, task.id, kind)
    return row if row is not None and row["state"] == "stored" else None


def _type_and_disposition(row: RowMapping, kind: str, filename: str) -> tuple[str, str]:
    media_type = str(row["content_type"] or "")
    if media_type.startswith(f"{media_kind(kind)}/"):
        return media_type, f'inline; filename="{filename}{media_extension_of(media_type)}"'
    return DOWNLOAD_TYPE, f'attachment; filename="{filename}.bin"'


async def stream_object(
    request: Request, row: RowMapping, kind: str, filename: str, *, cache: str = IMMUTABLE
) -> Response:
    """The stored object as an HTTP response: 200, 206 (Range), 304 (ETag) or 416."""
    store = store_of(request)
    size = int(row["size"] or 0)
    etag = f'"{row["sha256"]}"'
    media_type, disposition = _type_and_disposition(row, kind, filename)
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "Accept-Ranges": "bytes",
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    try:
        wanted = parse_range(_range_header(request, etag), size)
    except Unsatisfiable:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    if wanted is None:
        opened = await store.open(row["key"])
        status = 200
    else:
        opened = await store.open(row["key"], wanted.start, wanted.end)
        headers["Content-Range"] = wanted.content_range(size)
        status = 206
    headers["Content-Length"] = str(opened.end - opened.start)
    return StreamingResponse(opened.chunks, status, headers=headers, media_type=media_type)


def _range_header(request: Request, etag: str) -> str | None:
    """Range, unless If-Range names another version (then the whole new file is sent)."""
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    return request.headers.get("range")


async def redirect_target(store: ObjectStore, key: str) -> str | None:
    """Where the store serves `key` itself: its public URL, or a presigned one; else None."""
    return store.public_url(key) or await store.presigned_url(key)


async def serve(request: Request) -> Response:
    """A task's result image or video, from the store (copied there now if need be)."""
    task_id, token, name = (request.path_params[k] for k in ("task_id", "token", "name"))
    kind = name.split(".", 1)[0]
    engine = request.app.state.engine
    async with engine.connect() as conn:  # one connection for both reads: the hot path
        found = await q.get_task(conn, task_id)
        wanted = found is not None and kind in _KINDS
        known = await object_queries.get_object(conn, task_id, kind) if wanted else None
    task = Task.from_row(found) if found is not None else None
    expected = str(task.prop("_file_token", "")) if task is not None else ""
    if task is None or kind not in _KINDS or not hmac.compare_digest(token, expected):
        return _not_found()
    try:
        row = await stored_object(request, task, kind, known)
        if row is None:
            return _not_found(f"task {task_id} has no {kind}")
        target = await redirect_target(store_of(request), row["key"])
        if target is not None:
            return RedirectResponse(target, 307, headers={"Cache-Control": "no-store"})
        return await stream_object(request, row, kind, task_id)
    except (httpx.HTTPError, ValueError, TimeoutError, StorageError, NotStored) as exc:
        reason = _public_reason(exc)
        log.warning("could not serve the %s of task %s: %s", kind, task_id, reason)
        return JSONResponse({"error": f"the {kind} is not available: {reason}"}, status_code=502)


def _public_reason(exc: Exception) -> str:
    if isinstance(exc, NotStored):
        return "the stored copy is missing"
    return reason_of(exc)
