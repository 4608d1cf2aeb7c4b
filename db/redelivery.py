"""SQL for an operator's view of a task's callbacks: list them, send one again.

`redeliver` waits at most a moment for an attempt in flight (it holds the row's lock) and then
answers `DeliveryBusy` instead of hanging an API request; it re-enables the URL a 410 disabled
and wakes the dispatchers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from db.deliveries import notify_deliveries
from db.tasks import storable

# -- enable_endpoint: an operator's redeliver turns the URL back on.
_ENABLE = text(
    """
    UPDATE callback_endpoints
    SET disabled_at = NULL, disabled_reason = NULL, updated_at = clock_timestamp()
    WHERE url = :url AND disabled_at IS NOT NULL
    """
)


async def enable_endpoint(conn: AsyncConnection, url: str) -> None:
    await conn.execute(_ENABLE, {"url": url})


# -- list_task_deliveries: a task's callbacks in sequence order, with every attempt.
_LIST = text(
    """
    SELECT id, task_id, seq, webhook_id, url, dialect, status, attempts, next_attempt_at,
           last_attempt_at, last_status_code, last_error, attempt_log, delivered_at, created_at,
           payload
    FROM deliveries WHERE task_id = :task_id ORDER BY seq, id
    """
)
_TASK_EXISTS = text("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = :task_id)")
_TASK_OF_KEY = text("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = :task_id AND key_id = :key_id)")


async def list_task_deliveries(
    conn: AsyncConnection, task_id: str, key_id: int | None = None
) -> list[dict[str, Any]] | None:
    """The task's deliveries (oldest first); None when there is no such task (or, with
    `key_id`, it is a task of another client key)."""
    if not storable(task_id):  # NUL or a lone surrogate: no task has that id
        return None
    if key_id is not None and not await conn.scalar(
        _TASK_OF_KEY, {"task_id": task_id, "key_id": key_id}
    ):
        return None
    rows = (await conn.execute(_LIST, {"task_id": task_id})).mappings().all()
    if not rows and not await conn.scalar(_TASK_EXISTS, {"task_id": task_id}):
        return None
    return [dict(row) for row in rows]


class DeliveryBusy(Exception):
    """The delivery is being attempted right now; try again in a few seconds."""


# -- redeliver: send a delivery again from a fresh retry cycle (attempts back to 0, due now),
# whatever its status; its history stays in attempt_log. Waits at most 2 s for an in-flight
# attempt's lock, then gives up (DeliveryBusy) instead of hanging an API request.
_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', '2s', true)")
_REDELIVER = text(
    """
    UPDATE deliveries
    SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL
    WHERE id = :id AND (CAST(:key_id AS bigint) IS NULL
                        OR task_id IN (SELECT id FROM tasks WHERE key_id = :key_id))
    RETURNING id, task_id, seq, webhook_id, url, status, next_attempt_at
    """
)
_LOCK_NOT_AVAILABLE = "55P03"


async def redeliver(
    conn: AsyncConnection, delivery_id: int, key_id: int | None = None
) -> dict[str, Any] | None:
    """Queue `delivery_id` again (and re-enable its URL); None when there is no such delivery
    (or, with `key_id`, it belongs to a task of another client key)."""
    await conn.execute(_LOCK_TIMEOUT)
    try:
        params = {"id": delivery_id, "key_id": key_id}
        row = (await conn.execute(_REDELIVER, params)).mappings().one_or_none()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise DeliveryBusy(f"delivery {delivery_id} is being attempted right now") from None
        raise
    if row is None:
        return None
    await enable_endpoint(conn, row["url"])
    await notify_deliveries(conn)
    return dict(row)
