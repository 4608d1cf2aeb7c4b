"""mjrelay's own JSON API for callbacks: list a task's deliveries, redeliver one.

GET  /api/tasks/{task_id}/deliveries   every delivery of the task with its attempt log
POST /api/deliveries/{id}/redeliver    queue it again now (fresh retry cycle, same webhook-id)

Both read or act on any client's task, so as soon as any secret is configured they need one: the
admin secret or any API secret (`mj-api-secret` or `Authorization: Bearer`), or a client key,
which reaches its own tasks' deliveries only (another key's read as "no such task").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.api import callers
from db import redelivery as db
from db.tasks import storable


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value


def _delivery(row: dict[str, Any]) -> dict[str, Any]:
    out = {key: _jsonable(value) for key, value in row.items() if key != "attempt_log"}
    attempts = row.get("attempt_log") or []
    out["attempt_log"] = json.loads(attempts) if isinstance(attempts, str) else attempts
    return out


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _own_key(request: Request) -> int | JSONResponse | None:
    """The client key whose tasks alone the caller reaches (None: every task), or a 401."""
    caller = await callers.reader(request)
    if caller is None:
        return _error(401, "missing or wrong API secret")
    return None if caller.sees_all or caller.key is None else caller.key.id


async def list_deliveries(request: Request) -> JSONResponse:
    own = await _own_key(request)
    if isinstance(own, JSONResponse):
        return own
    task_id = request.path_params["task_id"]
    if not storable(task_id) or len(task_id) > 200:  # PostgreSQL text cannot hold NUL
        return _error(404, "no such task")
    async with request.app.state.engine.connect() as conn:
        rows = await db.list_task_deliveries(conn, task_id, own)
    if rows is None:
        return _error(404, f"no task {task_id!r}")
    return JSONResponse({"task_id": task_id, "deliveries": [_delivery(r) for r in rows]})


async def redeliver(request: Request) -> JSONResponse:
    own = await _own_key(request)
    if isinstance(own, JSONResponse):
        return own
    raw = request.path_params["delivery_id"]
    if not raw.isdigit() or len(raw) > 18:
        return _error(404, f"no delivery {raw!r}")
    try:
        async with request.app.state.engine.begin() as conn:
            row = await db.redeliver(conn, int(raw), own)
    except db.DeliveryBusy as exc:
        return _error(409, str(exc))
    if row is None:
        return _error(404, f"no delivery {raw!r}")
    return JSONResponse({k: _jsonable(v) for k, v in row.items()}, status_code=202)


ROUTES = [
    Route("/api/tasks/{task_id}/deliveries", list_deliveries, methods=["GET"]),
    Route("/api/deliveries/{delivery_id}/redeliver", redeliver, methods=["POST"]),
]
