"""webman routes (spec §A): `<controller>/<method>` under the optional `apiPrefix`, any HTTP
method, method names case-insensitive; everything HTTP 200 with in-body codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.api.callers import authorize
from app.api.endpoint import Handler, endpoint, json_response
from app.api.service import TaskService
from app.api.submit_route import submit_handlers, webman_body
from app.dialects import webman as wm
from app.dialects import webman_requests as wm_requests

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ep = endpoint(wm.DIALECT, auth=False)  # the secret is checked after route resolution, below


async def fetch(request: Request, svc: TaskService) -> bytes:
    """`/task/fetch?taskId=`: the task in webman's envelope."""
    task_id = request.query_params.get("taskId", "").strip()
    task = await svc.get_task(task_id) if task_id else None
    if task is None:
        return wm.fetch_not_found()
    return wm.fetch_body(task)


def _controller_method(path: str) -> tuple[str, str]:
    controller, method = path.strip("/").split("/")
    return controller, method


# path -> (body reader, parser); each parser's docstring says what the body holds. webman's
# images are URLs: only `/image/action` carries a base64 `mask`.
SUBMITS = submit_handlers(
    wm.submitted,
    {
        "/image/imagine": (webman_body(), wm_requests.parse_imagine),
        "/image/action": (webman_body(images=1), wm_requests.parse_action),
        "/image/blend": (webman_body(), wm_requests.parse_blend),
        "/image/describe": (webman_body(), wm_requests.parse_describe),
    },
)
HANDLERS: dict[tuple[str, str], Handler] = {
    _controller_method(path): handler for path, handler in {**SUBMITS, "/task/fetch": fetch}.items()
}


def not_found() -> Response:
    return json_response(wm.dumps(wm.NOT_FOUND_BODY))


async def _dispatch(controller: str, request: Request, svc: TaskService) -> bytes | Response:
    """One webman call: route first (unknown -> 404 envelope), then the secret, then the work."""
    handler = HANDLERS.get((controller, request.path_params["method"].lower()))
    if handler is None:
        return not_found()
    caller = await authorize(request, wm.DIALECT)
    return await handler(request, svc.for_caller(caller))


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
