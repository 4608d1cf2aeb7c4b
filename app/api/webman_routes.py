"""webman routes (spec §A): `<controller>/<method>` under the optional `apiPrefix`, any HTTP
method, method names case-insensitive; everything HTTP 200 with in-body codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.api.auth import is_authorized
from app.api.bodies import read_webman
from app.api.endpoint import endpoint, json_response, origin_of, settings_of
from app.api.service import TaskService
from app.dialects import webman as wm
from app.domain.errors import CommandError, ErrorKind

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ep = endpoint(wm.DIALECT, auth=False)  # the secret is checked after route resolution, below


async def _body(request: Request, svc: TaskService, images: int = 0) -> object:
    """webman's images are URLs; only `/image/action` carries a base64 `mask`."""
    return await read_webman(request, svc.limits.body_with_images(images))


async def imagine(request: Request, svc: TaskService) -> bytes:
    cmd = wm.parse_imagine(await _body(request, svc), svc.limits)
    return wm.submitted(await svc.create(cmd, origin_of(request)))


async def action(request: Request, svc: TaskService) -> bytes:
    cmd = wm.parse_action(await _body(request, svc, 1), svc.max_image_bytes, svc.limits)
    return wm.submitted(await svc.press(cmd, origin_of(request)))


async def blend(request: Request, svc: TaskService) -> bytes:
    cmd = wm.parse_blend(await _body(request, svc), svc.limits)
    return wm.submitted(await svc.create(cmd, origin_of(request)))


async def describe(request: Request, svc: TaskService) -> bytes:
    cmd = wm.parse_describe(await _body(request, svc), svc.limits)
    return wm.submitted(await svc.create(cmd, origin_of(request)))


async def fetch(request: Request, svc: TaskService) -> bytes:
    task_id = request.query_params.get("taskId", "").strip()
    task = await svc.get_task(task_id) if task_id else None
    if task is None:
        return wm.fetch_not_found()
    return wm.fetch_body(task)


HANDLERS = {
    ("image", "imagine"): imagine,
    ("image", "action"): action,
    ("image", "blend"): blend,
    ("image", "describe"): describe,
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
