"""webman routes (spec §A): `<controller>/<method>` under the optional `apiPrefix`, any HTTP
method, method names case-insensitive; everything HTTP 200 with in-body codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.api.auth import is_authorized
from app.api.bodies import read_webman
from app.api.endpoint import Handler, endpoint, json_response, settings_of
from app.api.service import TaskService
from app.api.submit_route import Parse, Read, submit_handler
from app.dialects import webman as wm
from app.dialects import webman_requests as wm_requests
from app.domain.errors import CommandError, ErrorKind

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ep = endpoint(wm.DIALECT, auth=False)  # the secret is checked after route resolution, below


def _reader(images: int = 0) -> Read:
    """webman's images are URLs; only `/image/action` carries a base64 `mask`."""

    async def read(request: Request, svc: TaskService) -> object:
        return await read_webman(request, svc.limits.body_with_images(images))

    return read


def _submit(path: str, doc: str, parse: Parse, images: int = 0) -> Handler:
    return submit_handler(path, doc, _reader(images), parse, wm.submitted)


async def fetch(request: Request, svc: TaskService) -> bytes:
    """`/task/fetch?taskId=`: the task in webman's envelope."""
    task_id = request.query_params.get("taskId", "").strip()
    task = await svc.get_task(task_id) if task_id else None
    if task is None:
        return wm.fetch_not_found()
    return wm.fetch_body(task)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("image", "imagine"): _submit(
        "/image/imagine",
        "`prompt`, optional `images` (URLs), `notifyUrl`, `data`.",
        lambda body, svc: wm_requests.parse_imagine(body, svc.limits),
    ),
    ("image", "action"): _submit(
        "/image/action",
        "Press a button: `taskId`, `customId`, and `prompt` / `mask` where the button asks.",
        lambda body, svc: wm_requests.parse_action(body, svc.max_image_bytes, svc.limits),
        images=1,
    ),
    ("image", "blend"): _submit(
        "/image/blend",
        "Blend 2–5 `images` (URLs), `dimensions` PORTRAIT|SQUARE|LANDSCAPE.",
        lambda body, svc: wm_requests.parse_blend(body, svc.limits),
    ),
    ("image", "describe"): _submit(
        "/image/describe",
        "Describe the first of `images` (URLs).",
        lambda body, svc: wm_requests.parse_describe(body, svc.limits),
    ),
    ("task", "fetch"): fetch,
}


def not_found() -> Response:
    return json_response(wm.dumps(wm.NOT_FOUND_BODY))


async def _dispatch(controller: str, request: Request, svc: TaskService) -> bytes | Response:
    """One webman call: route first (unknown -> 404 envelope), then the secret, then the work."""
    handler = HANDLERS.get((controller, request.path_params["method"].lower()))
    if handler is None:
        return not_found()
    if not is_authorized(request, settings_of(request).api_secret_for(wm.DIALECT)):
        raise CommandError(ErrorKind.UNAUTHORIZED, "invalid or missing API secret")
    return await handler(request, svc)


@ep
async def image(request: Request, svc: TaskService) -> bytes | Response:
    """`/image/imagine|action|blend|describe`."""
    return await _dispatch("image", request, svc)


@ep
async def task(request: Request, svc: TaskService) -> bytes | Response:
    """`/task/fetch?taskId=`."""
    return await _dispatch("task", request, svc)


def routes(api_prefix: str = "") -> list[BaseRoute]:
    """`/image/{method}` and `/task/{method}` behind `/<api_prefix>` when one is set."""
    base = f"/{api_prefix}" if api_prefix else ""
    return [
        Route(base + "/image/{method:str}", image, methods=ANY_METHOD),
        Route(base + "/task/{method:str}", task, methods=ANY_METHOD),
    ]
