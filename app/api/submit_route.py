"""A submit route as data: read the body, parse it into a command, run it, reply with the task.

Every submit route of every dialect has this one shape, so a dialect's routes module lists its
submit routes as rows, path -> (reader, parser), and `submit_endpoints` writes the handlers.
Every dialect parser takes `(body, limits)` and its docstring says what the body holds (the
handler's doc). The handler runs inside `endpoint(dialect)`, which authenticates before the
reader reads a byte; the reader reads no more than the route can use. Every submit route takes
an `Idempotency-Key` header (app/api/idempotency.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request

from app.api import idempotency
from app.api.bodies import read_json, read_upload, read_webman
from app.api.endpoint import Endpoint, Handler, origin_of
from app.api.service import Submit, TaskService
from app.domain.commands import with_route_mode
from app.domain.limits import InputLimits
from app.domain.task import Task

Read = Callable[[Request, TaskService], Awaitable[Any]]
Parse = Callable[[Any, InputLimits], Submit]
Reply = Callable[[Task], bytes]
# How many base64 images a route's body may carry: a number, or one of the limits.
Images = int | Callable[[InputLimits], int]


def _room(images: Images, limits: InputLimits) -> int:
    return limits.body_with_images(images(limits) if callable(images) else images)


def json_body(images: Images = 0) -> Read:
    """A JSON body with room for `images` base64 images."""

    async def read(request: Request, svc: TaskService) -> Any:
        return await read_json(request, _room(images, svc.limits))

    return read


def webman_body(images: Images = 0) -> Read:
    """A webman body (JSON or a form) with room for `images` base64 images."""

    async def read(request: Request, svc: TaskService) -> Any:
        return await read_webman(request, _room(images, svc.limits))

    return read


async def upload_body(request: Request, svc: TaskService) -> Any:
    """A multipart form with one image `file` -> (other fields, image)."""
    return await read_upload(request, svc.limits.upload_body(), svc.max_image_bytes)


def submit_handler(
    path: str, read: Read, parse: Parse, reply: Reply, route_mode: str | None = None
) -> Handler:
    """The handler of the submit route `path`; `route_mode`: the speed mode its prefix asks."""

    async def handle(request: Request, svc: TaskService) -> bytes:
        body = await read(request, svc)
        command = with_route_mode(parse(body, svc.limits), route_mode)
        idem = idempotency.of_request(request, body)
        return reply(await svc.submit(command, origin_of(request), idem))

    handle.__name__ = handle.__qualname__ = path.strip("/").replace("/", "_").replace("-", "_")
    handle.__doc__ = parse.__doc__
    return handle


Rows = Mapping[str, tuple[Read, Parse]]  # path -> (body reader, parser)


def submit_handlers(
    reply: Reply, rows: Rows, *, prefix: str = "", route_mode: str | None = None
) -> dict[str, Handler]:
    """prefix + path -> handler, for each row; `reply` renders the new task, `route_mode` is the
    speed mode the prefix asks."""
    return {
        prefix + path: submit_handler(prefix + path, read, parse, reply, route_mode)
        for path, (read, parse) in rows.items()
    }


def submit_endpoints(
    ep: Callable[[Handler], Endpoint],
    reply: Reply,
    rows: Rows,
    *,
    prefix: str = "",
    route_mode: str | None = None,
) -> dict[str, Endpoint]:
    """prefix + path -> endpoint, each handler run inside the dialect's `ep = endpoint(dialect)`."""
    handlers = submit_handlers(reply, rows, prefix=prefix, route_mode=route_mode)
    return {path: ep(handler) for path, handler in handlers.items()}
