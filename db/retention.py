"""SQL for retention: old finished tasks go, their events, deliveries and object rows with them
(CASCADE); the keys of their stored objects are returned, for the caller to delete from the
store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import FINAL

# -- purge_finished_tasks: one small batch of tasks finished before the cut-off.
# Never a task that is pending or running, and never one whose callbacks are still being retried.
_PURGE = text(
    f"""
    WITH gone AS (DELETE FROM tasks WHERE id IN (
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
    ) RETURNING id)
    -- One snapshot for the whole statement: the object rows the cascade removes are still seen.
    SELECT gone.id, o.key FROM gone LEFT JOIN task_objects o ON o.task_id = gone.id
    """
)


@dataclass(frozen=True)
class Purged:
    tasks: int
    keys: list[str]  # the store's objects of those tasks


async def purge_finished_tasks(conn: AsyncConnection, *, days: int, batch: int) -> Purged:
    rows = (await conn.execute(_PURGE, {"days": days, "batch": batch})).all()
    return Purged(len({row.id for row in rows}), [row.key for row in rows if row.key])
