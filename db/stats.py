"""SQL for the numbers `/metrics` shows about the whole system (any process can read them).

Every statement is bounded whatever the size of the history: unfinished tasks are counted from
the partial index `ix_tasks_unfinished_status`, due callbacks from `ix_deliveries_due`, each
reading at most `COUNT_CAP` index entries (a gauge saturates there); finished tasks are not counted
at all, the table size is PostgreSQL's own estimate (`pg_class.reltuples`, kept by autovacuum).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import FINAL

COUNT_CAP = 100_000


@dataclass(frozen=True)
class SystemStats:
    tasks_by_status: dict[str, int]
    accounts_by_health: dict[str, int]
    deliveries_pending: int
    oldest_due_delivery_s: float
    tasks_estimate: int = 0
    keys: tuple[KeyStats, ...] = ()


@dataclass(frozen=True)
class KeyStats:
    """A client key's numbers (docs/keys.md): tasks in all, today (UTC), unfinished now."""

    name: str
    tasks_total: int
    tasks_today: int
    unfinished: int


# Client keys for `/metrics`: the KEY_LABELS keys with the most tasks by name, every other key
# summed under OTHER_KEYS, so the label set stays bounded however many keys there are. Today's
# and unfinished tasks are the counters on the key's row (db/api_keys.py).
KEY_LABELS = 50
OTHER_KEYS = "_other"
_KEYS = text(
    f"""
    WITH ranked AS (
        SELECT k.name, k.tasks_total,
            CASE WHEN k.counted_day = (now() AT TIME ZONE 'UTC')::date
                 THEN k.counted_day_tasks ELSE 0 END AS today,
            k.inflight AS open,
            row_number() OVER (ORDER BY k.tasks_total DESC, k.name) AS rank
        FROM api_keys k
    )
    SELECT CASE WHEN rank <= {KEY_LABELS} THEN name ELSE '{OTHER_KEYS}' END AS label,
        sum(tasks_total), sum(today), sum(open)
    FROM ranked GROUP BY 1 ORDER BY min(rank)
    """
)


# The predicate is the partial index's own, so the planner can answer from the index alone.
_UNFINISHED_TASKS = text(
    "SELECT status, count(*) FROM ("
    f" SELECT status FROM tasks WHERE status NOT IN ({FINAL})"
    f" LIMIT {COUNT_CAP}) AS unfinished GROUP BY status"
)
_ACCOUNTS = text(
    "SELECT CASE WHEN enabled THEN health ELSE 'disabled' END AS health, count(*)"
    " FROM accounts GROUP BY 1"
)
_DUE_DELIVERIES = text(
    "SELECT count(*) FROM ("
    " SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
    f" LIMIT {COUNT_CAP}) AS due"
)
_OLDEST_DUE = text(
    "SELECT extract(epoch FROM now() - next_attempt_at) FROM deliveries"
    " WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1"
)
_TASKS_ESTIMATE = text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'tasks'::regclass")


async def system_stats(conn: AsyncConnection) -> SystemStats:
    tasks = {row[0]: int(row[1]) for row in await conn.execute(_UNFINISHED_TASKS)}
    accounts = {row[0]: int(row[1]) for row in await conn.execute(_ACCOUNTS)}
    due = int(await conn.scalar(_DUE_DELIVERIES) or 0)
    oldest = float(await conn.scalar(_OLDEST_DUE) or 0)
    estimate = int(await conn.scalar(_TASKS_ESTIMATE) or 0)
    keys = tuple(
        KeyStats(str(row[0]), int(row[1]), int(row[2]), int(row[3]))
        for row in await conn.execute(_KEYS)
    )
    return SystemStats(tasks, accounts, due, max(oldest, 0.0), max(estimate, 0), keys)
