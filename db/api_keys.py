"""SQL for client keys (docs/keys.md): the key rows, the rate bucket, the task quota.

Every limit is decided in PostgreSQL so several web processes cannot race past it: the rate
bucket is one `UPDATE` on the key's row, and a task's admission locks that row (`FOR UPDATE`),
counts in a later statement (its snapshot taken after the lock was granted, so it sees every
task committed by the submit that held the lock before), then bumps the counters. The task is
inserted in the same transaction, so the lock is held until the task is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import FINAL

_UTC_TODAY = "(now() AT TIME ZONE 'UTC')::date"
_COLUMNS = (
    "id, name, key_prefix, admin, enabled, expires_at, daily_limit, total_limit, concurrency,"
    " rate_per_min, dialects, accounts, tasks_total, created_at"
)


class KeyNameTaken(Exception):
    """`insert_key` with a name another key has."""


async def insert_key(
    conn: AsyncConnection, *, name: str, key_hash: str, key_prefix: str, **limits: Any
) -> int:
    """A new key; `limits`: admin, expires_at, daily_limit, total_limit, concurrency,
    rate_per_min, dialects, accounts. Its rate bucket starts full."""
    values = {
        "admin": False,
        "expires_at": None,
        "daily_limit": None,
        "total_limit": None,
        "concurrency": None,
        "rate_per_min": None,
        "dialects": None,
        "accounts": None,
        **limits,
    }
    taken = await conn.scalar(text("SELECT 1 FROM api_keys WHERE name = :name"), {"name": name})
    if taken:
        raise KeyNameTaken(name)
    key_id = await conn.scalar(
        text(
            """
            INSERT INTO api_keys (name, key_hash, key_prefix, admin, expires_at, daily_limit,
                total_limit, concurrency, rate_per_min, dialects, accounts, rate_tokens)
            VALUES (:name, :key_hash, :key_prefix, :admin, :expires_at, :daily_limit,
                :total_limit, :concurrency, :rate_per_min, :dialects, :accounts,
                coalesce(:rate_per_min, 0))
            RETURNING id
            """
        ),
        {"name": name, "key_hash": key_hash, "key_prefix": key_prefix, **values},
    )
    return int(key_id)


async def key_by_hash(conn: AsyncConnection, key_hash: str) -> RowMapping | None:
    result = await conn.execute(
        text(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = :h"), {"h": key_hash}
    )
    return result.mappings().first()


async def key_by_name(conn: AsyncConnection, name: str) -> RowMapping | None:
    result = await conn.execute(
        text(f"SELECT {_COLUMNS} FROM api_keys WHERE name = :name"), {"name": name}
    )
    return result.mappings().first()


async def list_keys(conn: AsyncConnection) -> list[RowMapping]:
    """Every key with today's task count and its unfinished tasks."""
    result = await conn.execute(
        text(
            f"""
            SELECT k.id, k.name, k.key_prefix, k.admin, k.enabled, k.expires_at, k.daily_limit,
                k.total_limit, k.concurrency, k.rate_per_min, k.dialects, k.accounts,
                k.tasks_total, k.created_at,
                coalesce((SELECT d.tasks FROM api_key_days d
                          WHERE d.key_id = k.id AND d.day = {_UTC_TODAY}), 0) AS tasks_today,
                (SELECT count(*) FROM tasks t
                 WHERE t.key_id = k.id AND t.status NOT IN ({FINAL})) AS unfinished
            FROM api_keys k ORDER BY k.name
            """
        )
    )
    return list(result.mappings())


async def set_enabled(conn: AsyncConnection, name: str, enabled: bool) -> bool:
    result = await conn.execute(
        text("UPDATE api_keys SET enabled = :e, updated_at = now() WHERE name = :name"),
        {"e": enabled, "name": name},
    )
    return bool(result.rowcount)


async def rotate(conn: AsyncConnection, name: str, key_hash: str, key_prefix: str) -> bool:
    """A new value for the key `name`: the old one stops working at commit."""
    result = await conn.execute(
        text(
            "UPDATE api_keys SET key_hash = :h, key_prefix = :p, updated_at = now()"
            " WHERE name = :name"
        ),
        {"h": key_hash, "p": key_prefix, "name": name},
    )
    return bool(result.rowcount)


# -- take_request: one token of the key's rate bucket (capacity: a minute's worth), refilled by
# the time since the last request. One statement: the row lock orders concurrent requests.
_TAKE_TOKEN = text(
    """
    WITH cur AS (
        SELECT id, rate_per_min::float8 AS per_min,
            least(rate_per_min::float8, rate_tokens
                + extract(epoch FROM clock_timestamp() - rate_at) * rate_per_min / 60.0) AS avail
        FROM api_keys WHERE id = :id AND rate_per_min IS NOT NULL
        FOR UPDATE
    )
    UPDATE api_keys k
    SET rate_tokens = CASE WHEN cur.avail >= 1 THEN cur.avail - 1 ELSE cur.avail END,
        rate_at = clock_timestamp()
    FROM cur WHERE k.id = cur.id
    RETURNING cur.avail, cur.per_min
    """
)


async def take_request(conn: AsyncConnection, key_id: int) -> float:
    """0 when the request may go on, else the seconds until the bucket holds a token."""
    row = (await conn.execute(_TAKE_TOKEN, {"id": key_id})).first()
    if row is None:
        return 0.0
    avail, per_min = float(row[0]), float(row[1])
    return 0.0 if avail >= 1 else (1 - avail) * 60.0 / per_min


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after_s: int | None


_LOCK_KEY = text(
    "SELECT daily_limit, total_limit, concurrency, tasks_total FROM api_keys"
    " WHERE id = :id FOR UPDATE"
)
_COUNTS = text(
    f"""
    SELECT
        coalesce((SELECT tasks FROM api_key_days WHERE key_id = :id AND day = {_UTC_TODAY}), 0),
        CASE WHEN CAST(:count_unfinished AS boolean) THEN
            (SELECT count(*) FROM tasks WHERE key_id = :id AND status NOT IN ({FINAL}))
        ELSE 0 END,
        ceil(extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day'
            - (now() AT TIME ZONE 'UTC')))
    """
)
_COUNT_TASK = text(
    f"""
    WITH day AS (
        INSERT INTO api_key_days (key_id, day, tasks) VALUES (:id, {_UTC_TODAY}, 1)
        ON CONFLICT (key_id, day) DO UPDATE SET tasks = api_key_days.tasks + 1
    )
    UPDATE api_keys SET tasks_total = tasks_total + 1 WHERE id = :id
    """
)
CONCURRENCY_RETRY_S = 5


async def admit_task(conn: AsyncConnection, key_id: int) -> Refusal | None:
    """Count one new task against the key's limits, or say why not. Run in the transaction that
    inserts the task: the key's row stays locked until that task is committed."""
    limits = (await conn.execute(_LOCK_KEY, {"id": key_id})).mappings().first()
    if limits is None:
        return Refusal("API key no longer exists", None)
    total_limit, daily_limit, concurrency = (
        limits["total_limit"],
        limits["daily_limit"],
        limits["concurrency"],
    )
    if total_limit is not None and limits["tasks_total"] >= total_limit:
        return Refusal(f"total limit of {total_limit} tasks reached", None)
    today, unfinished, day_left = (
        await conn.execute(_COUNTS, {"id": key_id, "count_unfinished": concurrency is not None})
    ).one()
    if daily_limit is not None and today >= daily_limit:
        return Refusal(f"daily limit of {daily_limit} tasks reached", max(1, int(day_left)))
    if concurrency is not None and unfinished >= concurrency:
        return Refusal(
            f"concurrency limit of {concurrency} unfinished tasks reached", CONCURRENCY_RETRY_S
        )
    await conn.execute(_COUNT_TASK, {"id": key_id})
    return None


async def usage_by_day(
    conn: AsyncConnection, key_id: int | None, first: date, last: date
) -> list[RowMapping]:
    """Tasks per key, UTC day, action and status between two days (inclusive), with their
    callbacks sent; every key when `key_id` is None."""
    result = await conn.execute(
        text(
            """
            SELECT k.name AS key, (t.created_at AT TIME ZONE 'UTC')::date AS day,
                t.action, t.status, t.mode, count(*) AS tasks,
                coalesce(sum((SELECT count(*) FROM deliveries d
                              WHERE d.task_id = t.id AND d.status = 'delivered')), 0)
                    AS callbacks_delivered
            FROM tasks t JOIN api_keys k ON k.id = t.key_id
            WHERE (CAST(:key_id AS bigint) IS NULL OR t.key_id = :key_id)
              AND t.created_at >= CAST(:first AS date) AT TIME ZONE 'UTC'
              AND t.created_at < (CAST(:last AS date) + 1) AT TIME ZONE 'UTC'
            GROUP BY k.name, day, t.action, t.status, t.mode
            ORDER BY k.name, day, t.action, t.status, t.mode
            """
        ),
        {"key_id": key_id, "first": first, "last": last},
    )
    return list(result.mappings())


async def days_of(conn: AsyncConnection, key_id: int, since: date) -> list[RowMapping]:
    """Tasks per UTC day of one key since `since` (the dashboard's usage)."""
    result = await conn.execute(
        text(
            "SELECT day, tasks FROM api_key_days WHERE key_id = :id AND day >= :since"
            " ORDER BY day DESC"
        ),
        {"id": key_id, "since": since},
    )
    return list(result.mappings())
