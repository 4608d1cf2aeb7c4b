"""SQL for the dispatcher's claim: which outbox row is sent next, and by whom.

The invariants, each enforced here rather than in a process's memory:

- one sender: `claim_due_delivery` locks the row (`FOR UPDATE SKIP LOCKED`) and the lock is held
  for the whole HTTP attempt; the attempt's result is written in that same transaction
  (`db/delivery_attempts.py`). A dispatcher that dies (even kill -9) loses its connection,
  PostgreSQL rolls back and releases the row, and the next claim sends it again — with the same
  `webhook_id`.
- per-task FIFO: a delivery is claimable only when no earlier `seq` of its task is still pending
  (waiting for a retry, or locked because it is in flight).
- flat cost: a claim reads a bounded window of due rows however long the queue is.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from db.urls import sqlalchemy_url


def make_dispatcher_engine(url: str, *, pool_size: int, hold_timeout_s: float) -> AsyncEngine:
    """The dispatcher's own pool: one connection per attempt in flight, plus the claim loop's.

    A claimed row stays locked while its attempt runs. Should a dispatcher stall far beyond the
    attempt timeout (network partition, frozen VM), `idle_in_transaction_session_timeout` makes
    PostgreSQL end its session and free the row. No pre-ping: the claim loop survives a dead
    connection by retrying, and a ping would cost a round trip per delivery.
    """
    settings = {
        "idle_in_transaction_session_timeout": str(int(hold_timeout_s * 1000)),
        "application_name": f"mjrelay-callbacks/{os.getpid()}",
    }
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=2,
        connect_args={"server_settings": settings},
    )


# -- claim_due_delivery: the oldest due delivery not held back by an earlier one of its task,
# locked for the caller's transaction. Rows another dispatcher holds are skipped, not waited on.
# Per-task FIFO: a delivery qualifies only when no earlier seq of its task is pending — one
# waiting for a retry, or locked because it is in flight, still counts as pending.
# Cost stays flat however long the queue is, whatever the planner's statistics say (a fresh
# burst of rows is the normal case here): the candidates are the first CANDIDATES due rows (one
# walk of ix_deliveries_due), and the FIFO test is one probe of ix_deliveries_pending_by_task
# per candidate. Rows held back behind a retry are not among the due ones (`record_attempt`
# moves their due time behind their predecessor's), so a candidate window that is full of
# unclaimable rows means that many attempts are in flight right now; the next claim after one
# of them finishes will find work. `lag_s` is how late the attempt starts after it was due.
CANDIDATES = 256
_CLAIM = text(
    f"""
    SELECT d.id, d.task_id, d.seq, d.webhook_id, d.url, d.dialect, d.payload, d.attempts,
           extract(epoch FROM clock_timestamp() - d.next_attempt_at)::float8 AS lag_s,
           EXISTS (
               SELECT 1 FROM callback_endpoints e
               WHERE e.url = d.url AND e.disabled_at IS NOT NULL
           ) AS endpoint_disabled
    FROM deliveries d
    WHERE d.id = ANY (ARRAY(
            SELECT id FROM deliveries
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND id <> ALL (CAST(:skip AS bigint[]))
            ORDER BY next_attempt_at
            LIMIT {CANDIDATES}
        ))
      AND d.status = 'pending'
      AND d.next_attempt_at <= now()
      AND NOT EXISTS (
          SELECT 1 FROM deliveries p
          WHERE p.task_id = d.task_id AND p.seq < d.seq AND p.status = 'pending'
      )
    ORDER BY d.next_attempt_at
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
    """
)


# -- hold_back_blocked: due deliveries stuck behind an earlier pending delivery of their task that
# waits for a retry take over its due time, so they leave the claim's candidate window. Producers
# insert deliveries due at once, even while their task's previous callback is in a retry wait; the
# dispatcher runs this when a claim comes back empty.
# Best effort: rows someone else holds are skipped (no lock waits, no deadlocks).
_HOLD_BACK_BLOCKED = text(
    """
    WITH blocked AS (
        SELECT d.id, p.next_attempt_at AS due
        FROM deliveries d
        JOIN deliveries p ON p.task_id = d.task_id AND p.seq < d.seq
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          AND p.status = 'pending' AND p.next_attempt_at > now()
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE deliveries d SET next_attempt_at = blocked.due
    FROM blocked WHERE d.id = blocked.id
    """
)


async def hold_back_blocked(conn: AsyncConnection) -> int:
    """Move blocked due deliveries behind their predecessor's retry; how many moved."""
    result = await conn.execute(_HOLD_BACK_BLOCKED)
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    task_id: str
    seq: int
    webhook_id: str
    url: str
    dialect: str
    payload: bytes
    attempts: int
    lag_s: float
    endpoint_disabled: bool


async def claim_due_delivery(
    conn: AsyncConnection, *, skip: Collection[int] = ()
) -> ClaimedDelivery | None:
    """Lock one due delivery for an attempt; None when nothing is due. Keep the transaction
    open during the attempt and finish it with `record_attempt` + commit. Rows in `skip` are
    left alone (the dispatcher's own back-off for rows it could not even record a failure for)."""
    row = (await conn.execute(_CLAIM, {"skip": list(skip)})).one_or_none()
    if row is None:
        return None
    return ClaimedDelivery(
        id=row.id,
        task_id=row.task_id,
        seq=row.seq,
        webhook_id=row.webhook_id,
        url=row.url,
        dialect=row.dialect,
        payload=bytes(row.payload),
        attempts=row.attempts,
        lag_s=max(0.0, float(row.lag_s)),
        endpoint_disabled=bool(row.endpoint_disabled),
    )


# -- queue_stats: for the queue-depth and lag gauges. Reads only pending rows (partial index).
_STATS = text(
    """
    SELECT count(*) AS pending,
           count(*) FILTER (WHERE next_attempt_at <= now()) AS due,
           coalesce(extract(epoch FROM now() - min(next_attempt_at)
                    FILTER (WHERE next_attempt_at <= now())), 0)::float8 AS oldest_due_s
    FROM deliveries WHERE status = 'pending'
    """
)


@dataclass(frozen=True)
class QueueStats:
    pending: int
    due: int
    oldest_due_s: float


async def queue_stats(conn: AsyncConnection) -> QueueStats:
    row = (await conn.execute(_STATS)).one()
    return QueueStats(pending=row.pending, due=row.due, oldest_due_s=float(row.oldest_due_s))
