"""SQL for the numbers `/metrics` shows about the whole system (any process can read them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class SystemStats:
    tasks_by_status: dict[str, int]
    accounts_by_health: dict[str, int]
    deliveries_pending: int
    oldest_due_delivery_s: float


# -- system_stats: counts for dashboards and alerts; cheap (indexed or small tables).
_TASKS = text("SELECT status, count(*) FROM tasks GROUP BY status")
_ACCOUNTS = text(
    "SELECT CASE WHEN enabled THEN health ELSE 'disabled' END AS health, count(*)"
    " FROM accounts GROUP BY 1"
)
_DELIVERIES = text(
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)"
    " FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
)


async def system_stats(conn: AsyncConnection) -> SystemStats:
    tasks = {row[0]: int(row[1]) for row in await conn.execute(_TASKS)}
    accounts = {row[0]: int(row[1]) for row in await conn.execute(_ACCOUNTS)}
    pending, oldest = (await conn.execute(_DELIVERIES)).one()
    return SystemStats(tasks, accounts, int(pending), max(float(oldest), 0.0))
