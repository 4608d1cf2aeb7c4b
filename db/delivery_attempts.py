"""SQL for what one callback attempt came to, written in the claim's transaction.

The invariants:

- at least once: a row leaves `pending` only through `record_attempt` (or `redeliver` of
  `db/redelivery.py` puts it back); `record_unrecordable` counts an attempt whose details could
  not be written, so a poison row cannot be claimed again at once.
- bounded: the attempt log keeps the last `ATTEMPT_LOG_KEEP` entries, and what a receiver sent
  is stored sanitized and cut (`sanitized`).
- an endpoint that answered 410 Gone is disabled for every later delivery (`disable_endpoint`)
  until an operator redelivers.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

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
