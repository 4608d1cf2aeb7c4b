"""SQL for retention: old finished tasks go, their events and deliveries with them (CASCADE)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import FINAL

# -- purge_finished_tasks: one small batch of tasks finished before the cut-off.
# Never a task that is pending or running, and never one whose callbacks are still being retried.
_PURGE = text(
    f"""
    DELETE FROM tasks WHERE id IN (
        SELECT t.id FROM tasks t
        WHERE t.created_at < now() - make_interval(days => :days)
          AND t.status IN ({FINAL})
          AND NOT EXISTS (SELECT 1 FROM deliveries d
                          WHERE d.task_id = t.id AND d.status = 'pending')
          AND NOT EXISTS (SELECT 1 FROM tasks c WHERE c.parent_id = t.id
                          AND c.status NOT IN ({FINAL}))
        ORDER BY t.created_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    """
)


async def purge_finished_tasks(conn: AsyncConnection, *, days: int, batch: int) -> int:
    result = await conn.execute(_PURGE, {"days": days, "batch": batch})
    return int(result.rowcount)
