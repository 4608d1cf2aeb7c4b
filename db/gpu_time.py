"""SQL for the fast GPU minutes each task cost, estimated from the account's /info readings.

Midjourney reports no job's own GPU time (spec v2 §3: /info shows the account's fast time left,
`29.57/30.0 hours`, and nothing per job). So each /info reading of an account attributes the drop
of its fast time since the previous reading to the fast and turbo tasks that succeeded on the
account in between, in proportion to the time each ran (turbo counting twice, as Midjourney
charges it). Readings are 0.01 h (0.6 min) apart at best, so a single task's figure is coarse;
the sum over the readings is the fast time the account spent, exactly as /info shows it.
Decision and its limits: docs/keys.md "Metering and usage".
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain.speed import FAST, TURBO
from app.domain.status import TaskStatus
from db.statuses import sql_list

_SUCCESS = sql_list(TaskStatus.SUCCESS)

# The previous reading is read under the account row's lock (held until the reading is stored),
# so two readings of one account never share a window. A drop below zero (time bought, a new
# month) attributes nothing. Tasks without a start or finish time have no share.
_ATTRIBUTE = text(
    f"""
    WITH before AS (
        SELECT fast_minutes_left AS left_before, fast_read_at FROM accounts
        WHERE id = :account_id AND fast_read_at IS NOT NULL AND fast_minutes_left IS NOT NULL
          AND fast_minutes_left >= :left_now
        FOR UPDATE
    ), ran AS (
        SELECT t.id,
               greatest(t.finish_time - t.start_time, 1)
                   * CASE WHEN t.mode = '{TURBO}' THEN 2 ELSE 1 END AS weight
        FROM tasks t, before b
        WHERE t.account_id = :account_id AND t.status = {_SUCCESS}
          AND t.mode IN ('{FAST}', '{TURBO}') AND t.gpu_minutes IS NULL
          AND t.start_time IS NOT NULL AND t.finish_time IS NOT NULL
          AND t.finish_time > (extract(epoch FROM b.fast_read_at) * 1000)::bigint
    ), shares AS (
        SELECT r.id, (b.left_before - :left_now) * r.weight / sum(r.weight) OVER () AS minutes
        FROM ran r, before b
    )
    UPDATE tasks t SET gpu_minutes = s.minutes FROM shares s WHERE t.id = s.id
    """
)


async def attribute_fast_time(conn: AsyncConnection, account_id: str, left_now: float) -> int:
    """Share the fast minutes spent since the account's previous reading among the fast and
    turbo tasks that succeeded on it since then; returns how many tasks got a figure. Call it
    in the transaction that stores the new reading (and its `fast_read_at`)."""
    params = {"account_id": account_id, "left_now": float(left_now)}
    result = await conn.execute(_ATTRIBUTE, params)
    return int(result.rowcount)
