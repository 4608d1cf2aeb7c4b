"""SQL for the dashboard: the filtered task list, its filter choices, per-account load.

Read-only; the dashboard writes through `app.taskstore`, `db.accounts` and `db.redelivery`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import ACTIVE, PENDING
from db.tables import tasks
from db.tasks import storable

DEFAULT_PAGE_SIZE = 60


@dataclass(frozen=True)
class TaskFilter:
    """Exact-match filters; None = any. `account` "-" means "no account yet"."""

    status: str | None = None
    account: str | None = None
    dialect: str | None = None

    def is_empty(self) -> bool:
        return self.status is None and self.account is None and self.dialect is None


async def list_tasks(
    conn: AsyncConnection, where: TaskFilter, limit: int = DEFAULT_PAGE_SIZE
) -> list[RowMapping]:
    """Tasks matching `where`, newest first."""
    stmt = select(tasks)
    for column, value in (
        (tasks.c.status, where.status),
        (tasks.c.dialect, where.dialect),
    ):
        if value is not None:
            if not storable(value):
                return []
            stmt = stmt.where(column == value)
    if where.account == "-":
        stmt = stmt.where(tasks.c.account_id.is_(None))
    elif where.account is not None:
        if not storable(where.account):
            return []
        stmt = stmt.where(tasks.c.account_id == where.account)
    stmt = stmt.order_by(tasks.c.created_at.desc(), tasks.c.id.desc()).limit(limit)
    return list((await conn.execute(stmt)).mappings())


async def task_dialects(conn: AsyncConnection) -> list[str]:
    """The dialects tasks were submitted through (filter choices)."""
    rows = await conn.execute(select(tasks.c.dialect).distinct().order_by(tasks.c.dialect))
    return [str(r) for r in rows.scalars()]


async def child_tasks(conn: AsyncConnection, task_id: str) -> list[RowMapping]:
    """Follow-ups made from a task's buttons, oldest first."""
    stmt = (
        select(tasks.c.id, tasks.c.action, tasks.c.status, tasks.c.params)
        .where(tasks.c.parent_id == task_id)
        .order_by(tasks.c.created_at, tasks.c.id)
    )
    return list((await conn.execute(stmt)).mappings())


# -- account_load: per account, tasks holding a slot (running) and tasks waiting (queued:
# PENDING and pinned to it). Unassigned PENDING tasks are reported under the key None.
_ACCOUNT_LOAD = text(
    f"""
    SELECT account_id,
           count(*) FILTER (WHERE status IN ({ACTIVE})) AS running,
           count(*) FILTER (WHERE status = {PENDING}) AS queued
    FROM tasks
    WHERE status IN ({ACTIVE}, {PENDING})
    GROUP BY account_id
    """
)


async def account_load(conn: AsyncConnection) -> dict[str | None, tuple[int, int]]:
    """account id (None = not assigned yet) -> (running, queued)."""
    rows = await conn.execute(_ACCOUNT_LOAD)
    return {row.account_id: (int(row.running), int(row.queued)) for row in rows}
