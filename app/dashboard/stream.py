"""`GET /events`: the task event stream over HTTP (Server-Sent Events). Format: docs/events.md."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.api.endpoint import origin_of
from app.dashboard import auth
from app.dashboard.events import TaskEvents, stream
from db.tasks import storable


class EventStreamResponse(StreamingResponse):
    """A stream that ends as soon as the client goes away (not at the next write)."""

    def __init__(self, body: AsyncGenerator[bytes, None], **kwargs: Any) -> None:
        super().__init__(body, **kwargs)
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def write() -> None:
                    with contextlib.suppress(OSError):
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(write)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._body.aclose()  # unsubscribes now, not whenever it is collected


def task_events(request: Request, database_url: str) -> TaskEvents:
    """The process's listener for this app (made on first use; the engine is the app's)."""
    state = request.app.state
    found: TaskEvents | None = getattr(state, "task_events", None)
    if found is None or found.engine is not state.engine:
        found = TaskEvents(database_url, state.engine)
        state.task_events = found
    return found


def endpoint(database_url: str) -> Callable[[Request], Awaitable[Response]]:
    async def events(request: Request) -> Response:
        """Live task changes as Server-Sent Events; `?task_id=` for one task."""
        caller = await auth.events_reader(request)
        if caller is None:
            return JSONResponse({"error": "missing or wrong secret"}, status_code=401)
        own_key = None if caller.sees_all or caller.key is None else caller.key.id
        task_id = request.query_params.get("task_id") or None
        if task_id is not None and (not storable(task_id) or len(task_id) > 64):
            return JSONResponse({"error": "bad task_id"}, status_code=400)
        base = origin_of(request)
        stopping = getattr(request.app.state, "stopping", None)
        events = task_events(request, database_url)
        body = stream(events, task_id, base, stopping=stopping, key_id=own_key)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return EventStreamResponse(body, media_type="text/event-stream", headers=headers)

    return events
