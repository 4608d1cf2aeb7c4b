"""SQL for the callback outbox (`deliveries`) and the URLs disabled by a 410 (`callback_endpoints`).

Producers (every task state change with a notify URL) call `insert_delivery` and then
`notify_deliveries` in the transaction that changes the task, so the callback exists exactly when
the change does (transactional outbox); the NOTIFY is sent by PostgreSQL at commit.

The dispatcher's invariants, each enforced here rather than in a process's memory:

- one sender: `claim_due_delivery` locks the row (`FOR UPDATE SKIP LOCKED`) and the lock is held
  for the whole HTTP attempt; the attempt's result is written in that same transaction. A
  dispatcher that dies (even kill -9) loses its connection, PostgreSQL rolls back and releases the
  row, and the next claim sends it again — with the same `webhook_id`.
- per-task FIFO: a delivery is claimable only when no earlier `seq` of its task is still pending
  (waiting for a retry, or locked because it is in flight).
- at least once: a row leaves `pending` only through `record_attempt` (or `redeliver` puts it back).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from db.tasks import storable
from db.urls import sqlalchemy_url

CHANNEL = "mjrelay_deliveries"


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


# -- notify_deliveries: wake every dispatcher. Inside a transaction PostgreSQL sends it at COMMIT
# (and drops it on ROLLBACK), so a dispatcher never wakes for a row it cannot see yet.
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


async def notify_deliveries(conn: AsyncConnection) -> None:
    """Tell the dispatchers that deliveries were inserted (call after `insert_delivery`)."""
    await conn.execute(_NOTIFY)


def new_webhook_id() -> str:
    """A Standard Webhooks message id: stable for a delivery across all of its retries."""
    return f"msg_{uuid.uuid4().hex}"


# -- insert_delivery: one callback for one state change. `seq` defaults to the task's next number;
# producers already hold the task row's lock (they update it in the same transaction), so two
# changes of one task never pick the same number.
_INSERT = text(
    """
    INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload)
    VALUES (
        :task_id,
        coalesce(
            CAST(:seq AS integer),
            (SELECT coalesce(max(seq), 0) + 1 FROM deliveries WHERE task_id = :task_id)
        ),
        :webhook_id, :url, :dialect, :payload
    )
    RETURNING id, seq, webhook_id
    """
)


# -- last_payload: the body of the task's newest callback, to skip one that would show nothing new.
_LAST_PAYLOAD = text(
    "SELECT payload FROM deliveries WHERE task_id = :task_id ORDER BY seq DESC LIMIT 1"
)


async def last_payload(conn: AsyncConnection, task_id: str) -> bytes | None:
    value = await conn.scalar(_LAST_PAYLOAD, {"task_id": task_id})
    return None if value is None else bytes(value)


@dataclass(frozen=True)
class NewDelivery:
    id: int
    seq: int
    webhook_id: str


async def insert_delivery(
    conn: AsyncConnection,
    *,
    task_id: str,
    url: str,
    dialect: str,
    payload: bytes,
    seq: int | None = None,
    webhook_id: str | None = None,
) -> NewDelivery:
    """Queue a callback; `payload` is sent byte for byte. Due at once."""
    row = (
        await conn.execute(
            _INSERT,
            {
                "task_id": task_id,
                "seq": seq,
                "webhook_id": webhook_id or new_webhook_id(),
                "url": url,
                "dialect": dialect,
                "payload": payload,
            },
        )
    ).one()
    return NewDelivery(id=row.id, seq=row.seq, webhook_id=row.webhook_id)


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


# -- record_attempt: the result of one attempt, in the claim's transaction. A null delay keeps
# next_attempt_at (finished deliveries); times come from clock_timestamp(), not the transaction
# start, because the attempt itself took time. The attempt log is bounded: it keeps the last
# ATTEMPT_LOG_KEEP entries, and each entry's `count` says how many attempts were logged in all
# (so a reader sees how many were dropped). Text is sanitized first (see `sanitized`).
ATTEMPT_LOG_KEEP = 50
ERROR_MAX_CHARS = 1000
_RECORD = text(
    f"""
    UPDATE deliveries SET
        status = :status,
        attempts = :attempts,
        next_attempt_at = coalesce(
            clock_timestamp() + make_interval(secs => CAST(:delay_s AS float8)), next_attempt_at
        ),
        last_attempt_at = :attempted_at,
        last_status_code = :status_code,
        last_error = :error,
        attempt_log = (
            SELECT coalesce(jsonb_agg(kept.entry ORDER BY kept.n), '[]'::jsonb)
            FROM (
                SELECT entry, n
                FROM jsonb_array_elements(attempt_log || jsonb_build_array(
                    CAST(:entry AS jsonb) || jsonb_build_object('count', coalesce(
                        (attempt_log -> -1 ->> 'count')::integer, jsonb_array_length(attempt_log)
                    ) + 1)
                )) WITH ORDINALITY AS logged(entry, n)
                ORDER BY n DESC
                LIMIT {ATTEMPT_LOG_KEEP}
            ) kept
        ),
        delivered_at = CASE WHEN :status = 'delivered' THEN clock_timestamp() ELSE delivered_at END
    WHERE id = :id
    RETURNING task_id, seq, next_attempt_at
    """
)

# -- hold_back_successors: a delivery going into a retry wait takes its task's later pending
# deliveries with it (they cannot go before it anyway), so they do not crowd the due candidates.
# Best effort: rows someone else holds are skipped; `hold_back_blocked` catches them later.
_HOLD_BACK = text(
    """
    UPDATE deliveries SET next_attempt_at = :due
    WHERE id IN (
        SELECT id FROM deliveries
        WHERE task_id = :task_id AND seq > :seq AND status = 'pending' AND next_attempt_at < :due
        FOR UPDATE SKIP LOCKED
    )
    """
)


async def record_attempt(
    conn: AsyncConnection,
    delivery_id: int,
    *,
    status: str,
    attempts: int,
    delay_s: float | None,
    attempted_at: datetime,
    status_code: int | None,
    error: str | None,
    entry: dict[str, Any],
) -> None:
    """Write one attempt's result and append `entry` to the delivery's (bounded) attempt log."""
    row = (
        await conn.execute(
            _RECORD,
            {
                "id": delivery_id,
                "status": status,
                "attempts": attempts,
                "delay_s": delay_s,
                "attempted_at": attempted_at,
                "status_code": status_code,
                "error": None if error is None else sanitized(error, ERROR_MAX_CHARS),
                "entry": json.dumps(_sanitized_entry(entry), ensure_ascii=False, default=str),
            },
        )
    ).one()
    if status == "pending":
        await conn.execute(
            _HOLD_BACK, {"task_id": row.task_id, "seq": row.seq, "due": row.next_attempt_at}
        )


def sanitized(value: str, max_chars: int) -> str:
    """`value` as PostgreSQL can keep it in text and jsonb: no NUL characters, no lone
    surrogates (whatever a receiver or an exception put there), at most `max_chars`."""
    value = value[:max_chars].replace("\x00", "\ufffd")
    return value.encode("utf-8", "replace").decode("utf-8")


def _sanitized_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        key: sanitized(value, ERROR_MAX_CHARS) if isinstance(value, str) else value
        for key, value in entry.items()
    }


# -- record_unrecordable: the fallback when an attempt's result could not be written. It touches
# only numbers and times, so it cannot fail on what a receiver sent: it counts the attempt and
# pushes the next one `delay_s` away (or gives up when the schedule is used up), so the row
# cannot be claimed again at once. Guarded by the attempt count it saw: when the row moved on
# meanwhile (another dispatcher got it after our connection died), this changes nothing.
_RECORD_UNRECORDABLE = text(
    """
    UPDATE deliveries SET
        status = :status,
        attempts = :attempts,
        next_attempt_at = clock_timestamp() + make_interval(secs => CAST(:delay_s AS float8)),
        last_attempt_at = clock_timestamp(),
        last_status_code = NULL,
        last_error = :error
    WHERE id = :id AND status = 'pending' AND attempts = :attempts - 1
    """
)
_SHORT_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', '5s', true)")


async def record_unrecordable(
    conn: AsyncConnection,
    delivery_id: int,
    *,
    status: str,
    attempts: int,
    delay_s: float,
    error: str,
) -> bool:
    """Count attempt number `attempts` as failed without its details; False when the row had
    already moved on."""
    await conn.execute(_SHORT_LOCK_TIMEOUT)
    result = await conn.execute(
        _RECORD_UNRECORDABLE,
        {
            "id": delivery_id,
            "status": status,
            "attempts": attempts,
            "delay_s": delay_s,
            "error": sanitized(error, ERROR_MAX_CHARS),
        },
    )
    return bool(result.rowcount)


# -- disable_endpoint: a 410 Gone turns a URL off for every later delivery until a redeliver.
_DISABLE = text(
    """
    INSERT INTO callback_endpoints (url, disabled_at, disabled_reason)
    VALUES (:url, clock_timestamp(), :reason)
    ON CONFLICT (url) DO UPDATE
    SET disabled_at = excluded.disabled_at, disabled_reason = excluded.disabled_reason,
        updated_at = clock_timestamp()
    """
)


async def disable_endpoint(conn: AsyncConnection, url: str, reason: str) -> None:
    await conn.execute(_DISABLE, {"url": url, "reason": reason})


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


async def list_task_deliveries(conn: AsyncConnection, task_id: str) -> list[dict[str, Any]] | None:
    """The task's deliveries (oldest first); None when there is no such task."""
    if not storable(task_id):  # NUL or a lone surrogate: no task has that id
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
    WHERE id = :id
    RETURNING id, task_id, seq, webhook_id, url, status, next_attempt_at
    """
)
_LOCK_NOT_AVAILABLE = "55P03"


async def redeliver(conn: AsyncConnection, delivery_id: int) -> dict[str, Any] | None:
    """Queue `delivery_id` again (and re-enable its URL); None when there is no such delivery."""
    await conn.execute(_LOCK_TIMEOUT)
    try:
        row = (await conn.execute(_REDELIVER, {"id": delivery_id})).mappings().one_or_none()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise DeliveryBusy(f"delivery {delivery_id} is being attempted right now") from None
        raise
    if row is None:
        return None
    await enable_endpoint(conn, row["url"])
    await notify_deliveries(conn)
    return dict(row)


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
