"""A submit route as data: read the body, parse it into a command, run it, reply with the task.

Every submit route of every dialect has this one shape; a dialect's routes module lists its
routes as (path, what the body holds, reader, parser) rows instead of writing each handler out.
The handler runs inside `endpoint(dialect)`, which authenticates before the reader reads a byte.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from app.api.endpoint import Handler, origin_of
from app.api.service import Submit, TaskService
from app.domain.task import Task

Read = Callable[[Request, TaskService], Awaitable[Any]]
Parse = Callable[[Any, TaskService], Submit]
Reply = Callable[[Task], bytes]


def submit_handler(path: str, doc: str, read: Read, parse: Parse, reply: Reply) -> Handler:
    """The handler of the submit route `path`; `doc` says what its body holds."""

    async def handle(request: Request, svc: TaskService) -> bytes:
        command = parse(await read(request, svc), svc)
        return reply(await svc.submit(command, origin_of(request)))

    handle.__name__ = handle.__qualname__ = path.strip("/").replace("/", "_").replace("-", "_")
    handle.__doc__ = doc
    return handle
