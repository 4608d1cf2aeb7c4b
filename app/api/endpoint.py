"""The seam between HTTP and the service: auth, errors in the dialect's envelope, JSON bytes.

`endpoint(dialect)(handler)` turns `handler(request, service) -> bytes | Response` into a
Starlette endpoint that checks the dialect's secret or a client key (app/api/callers.py) before
any byte of the body is read, hands the handler the service as that caller sees it,
renders a CommandError with the dialect's `error_body`, and turns anything unexpected into that
dialect's "internal error" envelope (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.api.bodies import body_left_unread
from app.api.callers import OPERATOR, authorize
from app.api.origin import public_origin
from app.api.service import TaskService
from app.config import Settings
from app.dialects import discordxy, novicezk, webman
from app.domain.errors import CommandError

log = logging.getLogger(__name__)

# Path parameters that are capabilities (a /files token): never written to a log line.
SECRET_PATH_PARAMS = ("token",)

Handler = Callable[[Request, TaskService], Awaitable[bytes | Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

DIALECT_MODULES: dict[str, ModuleType] = {
    "discordxy": discordxy,
    "webman": webman,
    "novicezk": novicezk,
}
_INTERNAL = {
    "discordxy": (500, discordxy.dumps({"code": 500, "result": None, "message": "internal error"})),
    "webman": (
        200,
        webman.dumps(
            {"code": 500, "msg": "internal error", "taskId": None, "data": [], "ban-words": ""}
        ),
    ),
    "novicezk": (200, novicezk.submit_body(novicezk.CODE_FAILURE, "提交失败，系统异常")),
}


def json_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def service_of(request: Request) -> TaskService:
    state = request.app.state
    service = getattr(state, "task_service", None)
    if service is None or service.engine is not state.engine:
        service = TaskService(state.engine, state.settings)
        state.task_service = service
    return service


def origin_of(request: Request) -> str:
    """The base of result-file URLs: the public URL, or a trusted Host (app/api/origin.py)."""
    return public_origin(settings_of(request), request.url.scheme, request.url.netloc)


def closing(request: Request, response: Response) -> Response:
    """A refusal sent before the body was read ends the connection: the client stops sending,
    and the server does not spend its time receiving what nobody will read."""
    if body_left_unread(request):
        response.headers["connection"] = "close"
    return response


def loggable_path(request: Request) -> str:
    """The request path for a log line, its secret parameters replaced by their names: an
    error on `/files/{task_id}/{token}/{name}` logs the task id and the file name only."""
    path = request.url.path
    for name in SECRET_PATH_PARAMS:
        value = str(request.path_params.get(name) or "")
        if value:
            path = path.replace(value, "{" + name + "}")
    return path


def error_response(dialect: str, err: CommandError) -> Response:
    status, body = DIALECT_MODULES[dialect].error_body(err)
    response = json_response(body, status)
    retry_after = err.details.get("retry_after")
    if isinstance(retry_after, int):  # a key's limit: when trying again can succeed
        response.headers["retry-after"] = str(retry_after)
    return response


def endpoint(dialect: str, *, auth: bool = True) -> Callable[[Handler], Endpoint]:
    def wrap(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                caller = await authorize(request, dialect) if auth else OPERATOR
                result = await handler(request, service_of(request).for_caller(caller))
            except CommandError as err:
                return closing(request, error_response(dialect, err))
            except Exception:
                log.exception("error in %s %s", request.method, loggable_path(request))
                status, body = _INTERNAL[dialect]
                return closing(request, json_response(body, status))
            return closing(
                request, result if isinstance(result, Response) else json_response(result)
            )

        return run

    return wrap


def route_table(*, get: Mapping[str, Endpoint], post: Mapping[str, Endpoint]) -> list[BaseRoute]:
    """A dialect's routes, written as path -> endpoint tables by method."""
    return [
        *(Route(path, handler, methods=["GET"]) for path, handler in get.items()),
        *(Route(path, handler, methods=["POST"]) for path, handler in post.items()),
    ]
