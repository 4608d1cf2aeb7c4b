"""The HTTP routes beside Discord's API: the CDN, the upload bucket's PUT, the editor backend.

None of them takes a Discord token; the Vary (Region) editor records the headers it was sent.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.sandbox.rest import core_of
from app.sandbox.store import EditorRequest


async def upload_put(request: Request) -> Response:
    """The cloud bucket's PUT (no Discord auth, the signed `upload_id` is the credential)."""
    core = core_of(request)
    upload = core.uploads.get(unquote(request.path_params["key"]))
    if upload is None or request.query_params.get("upload_id") != upload.upload_id:
        return Response("AccessDenied", status_code=403, media_type="text/plain")
    upload.data = await request.body()
    upload.content_type = request.headers.get("content-type", "application/octet-stream")
    return Response(status_code=200)


async def cdn_file(request: Request) -> Response:
    core = core_of(request)
    if core.cdn.delay_s:
        await asyncio.sleep(core.cdn.delay_s)
    query = {key: value for key, value in request.query_params.items()}
    stored = core.cdn.get(request.url.path, query)
    if stored is None:
        return Response("This content is no longer available.", 404, media_type="text/plain")
    return Response(stored.data, media_type=stored.content_type)


async def inpaint_submit(request: Request) -> Response:
    core = core_of(request)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        payload = json.loads(await request.body())
    except ValueError:
        core.editor_requests.append(EditorRequest(None, headers, 400))
        return JSONResponse({"success": False, "message": "Invalid JSON"}, 400)
    status, body = 404, {"success": False, "message": "Unknown customId"}
    for bot in core.mj_bots.values():  # the editor's token names one bot's iframe
        if status == 404:
            status, body = bot.submit_inpaint(payload)
    custom_id = payload.get("customId") if isinstance(payload, dict) else None
    core.editor_requests.append(EditorRequest(str(custom_id), headers, status))
    return JSONResponse(body, status)
