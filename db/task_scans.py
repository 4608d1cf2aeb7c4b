"""SQL the worker reads tasks with around the lease (db/leasing.py holds the lease's writes).

Read-only, one named statement per intent: the running tasks per account (cap check, dashboard),
an account's in-flight rows (recovery), the keys of ended tasks (a takeover's replay), the
sweeper's overdue scan, pinned follow-ups, and modal waits past their time. The locking reads
(`FOR UPDATE SKIP LOCKED`) hold their rows until the caller's transaction ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import ACTIVE, FINAL, MODAL, PENDING, WORKING

# -- active_task_counts: per-account running tasks, for the cap check and the dashboard.
_ACTIVE_COUNTS = text(
    f"""
    SELECT account_id, count(*) AS active FROM tasks
    WHERE status IN ({ACTIVE}) AND account_id IS NOT NULL
    GROUP BY account_id
    """
)


async def active_task_counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(_ACTIVE_COUNTS)
    return {row.account_id: int(row.active) for row in rows}


# -- tasks_in_flight: an account's active tasks, for recovery after a takeover.
_IN_FLIGHT = text(
    f"""
    SELECT * FROM tasks WHERE account_id = :account_id AND status IN ({ACTIVE})
    ORDER BY created_at
    """
)


async def tasks_in_flight(conn: AsyncConnection, account_id: str) -> list[RowMapping]:
    return list((await conn.execute(_IN_FLIGHT, {"account_id": account_id})).mappings())


# -- settled_keys: the correlation keys of ended tasks that replayed channel messages name.
# A takeover replays the channel's recent history, which also holds results of tasks that ended
# before it; knowing their keys, those messages cannot be matched to an adopted task by prompt.
# By message id and job hash: both indexed, and what a final message carries.
_SETTLED_KEYS = text(
    f"""
    SELECT interaction_id, message_id, message_hash FROM tasks
    WHERE status IN ({FINAL})
      AND (message_id = ANY(:message_ids) OR message_hash = ANY(:job_hashes))
    """
)


async def settled_keys(
    conn: AsyncConnection, *, message_ids: Sequence[str], job_hashes: Sequence[str]
) -> set[str]:
    if not message_ids and not job_hashes:
        return set()
    params = {"message_ids": list(message_ids), "job_hashes": list(job_hashes)}
    rows = (await conn.execute(_SETTLED_KEYS, params)).all()
    return {key for row in rows for key in row if key}


# -- overdue_tasks: the sweeper's scan (app/worker/sweeper.py). A task in STARTED / SUBMITTED /
# RUNNING past its deadline (start + its account's timeout, or `default_timeout_s` when the
# account is gone) by more than `grace_s` is stranded when nobody else will end it:
#   - its account no longer exists, or
#   - it is held under its account's current, live lease (its runner should have timed it out),
#   - or it is past the deadline by more than `abandon_s` whatever else holds.
# Tasks of a usable account that a new owner has not adopted yet are left to that owner's
# recovery (it may find the result in the channel); a disabled account's to the hand-over.
# The rows are locked (SKIP LOCKED): a runner writing one right now is skipped, not waited on,
# and two sweeping workers never take the same row.
_OVERDUE = text(
    f"""
    SELECT t.id, t.status, t.fence
    FROM tasks t
    LEFT JOIN accounts a ON a.id = t.account_id
    CROSS JOIN LATERAL (
        SELECT coalesce(t.start_time, t.submit_time,
                        (extract(epoch FROM t.created_at) * 1000)::bigint)
               + coalesce(a.task_timeout_s, :default_timeout_s) * 1000 AS deadline_ms,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
    ) d
    WHERE t.status IN ({WORKING})
      AND d.deadline_ms < d.now_ms - CAST(:grace_s AS double precision) * 1000
      AND (a.id IS NULL
           OR (t.leased_by = a.owner AND t.fence = a.fence AND a.lease_expires_at > now())
           OR d.deadline_ms < d.now_ms - CAST(:abandon_s AS double precision) * 1000)
    ORDER BY t.created_at
    LIMIT :limit
    FOR UPDATE OF t SKIP LOCKED
    """
)


async def overdue_tasks(
    conn: AsyncConnection,
    *,
    grace_s: float,
    abandon_s: float,
    default_timeout_s: int,
    limit: int = 100,
) -> list[RowMapping]:
    """Stranded in-flight tasks (id, status, fence), locked until the caller's transaction ends."""
    params = {
        "grace_s": grace_s,
        "abandon_s": abandon_s,
        "default_timeout_s": default_timeout_s,
        "limit": limit,
    }
    return list((await conn.execute(_OVERDUE, params)).mappings())


# -- pinned_follow_ups: PENDING follow-ups pinned to an account; they can run nowhere else.
_PINNED = text(
    f"""
    SELECT id FROM tasks
    WHERE account_id = :account_id AND status = {PENDING} AND parent_id IS NOT NULL
    ORDER BY created_at
    FOR UPDATE SKIP LOCKED
    """
)


async def pinned_follow_ups(conn: AsyncConnection, account_id: str) -> list[str]:
    return list((await conn.execute(_PINNED, {"account_id": account_id})).scalars())


# -- stale_modal_tasks: tasks waiting for a client's modal input longer than allowed.
_STALE_MODAL = text(
    f"""
    SELECT id FROM tasks
    WHERE status = {MODAL} AND created_at < now() - make_interval(secs => :older_than_s)
    ORDER BY created_at LIMIT 500
    """
)


async def stale_modal_tasks(conn: AsyncConnection, older_than_s: float) -> list[str]:
    return list((await conn.execute(_STALE_MODAL, {"older_than_s": older_than_s})).scalars())
