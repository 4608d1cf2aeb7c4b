"""SQL for client keys (docs/keys.md): the key rows, the rate bucket, the task quota.

Every limit is decided in PostgreSQL so several web processes cannot race past it: the rate
bucket is taken in the statement that looks the key up, and a task's admission runs in the
transaction that inserted the task, as its last step: it counts the task in the key's row
(an UPDATE: a `NO KEY UPDATE` lock, which leaves alone the `KEY SHARE` the task's foreign key
holds), then counts today's and the unfinished tasks in a later statement (its snapshot taken
after the lock was granted, so it sees every task committed by the submit that held the lock
before, and its own); the commit follows at once. Submits of one key are serialised only for
that short tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain.speed import FAST, TURBO
from app.domain.status import TaskStatus
from db.statuses import FINAL, sql_list

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


# -- use_key: the key by its hash, and (when it is usable and has a rate) one token of its
# bucket, in one statement: `wait_s` is 0 when the request may go on. The token is taken by a
# plain UPDATE whose condition is checked again on the row's newest version once the row is free
# (a lock then an UPDATE of the same row in one statement could deadlock with the submits of the
# same key: bench http's submit-1key). A refused request changes nothing (a full bucket refills
# the same either way). The bucket's commit does not wait for the disk (`synchronous_commit` off
# for this transaction): a crash may forget the last tokens taken, which costs nothing.
_AVAIL = (
    "least(k.rate_per_min::float8, k.rate_tokens"
    " + extract(epoch FROM clock_timestamp() - k.rate_at) * k.rate_per_min / 60.0)"
)
_USABLE = (
    "k.rate_per_min IS NOT NULL AND k.enabled AND (k.expires_at IS NULL OR k.expires_at > now())"
)
_USE_KEY = text(
    f"""
    WITH relaxed AS (
        SELECT set_config('synchronous_commit', 'off', true)
    ), found AS (
        SELECT {_COLUMNS}, {_AVAIL} AS avail, {_USABLE} AS limited FROM api_keys k
        WHERE key_hash = :h
    ), taken AS (
        UPDATE api_keys k SET rate_tokens = {_AVAIL} - 1, rate_at = clock_timestamp()
        WHERE k.key_hash = :h AND {_USABLE} AND {_AVAIL} >= 1
        RETURNING k.id
    )
    SELECT found.*,
        CASE WHEN NOT coalesce(found.limited, false) OR EXISTS (SELECT 1 FROM taken) THEN 0.0
             ELSE greatest((1 - found.avail) * 60.0 / found.rate_per_min, 0.001) END AS wait_s
    FROM found, relaxed
    """
)


async def use_key(conn: AsyncConnection, key_hash: str) -> RowMapping | None:
    """The key (with `wait_s`: seconds until its rate allows this request, 0 = go on)."""
    return (await conn.execute(_USE_KEY, {"h": key_hash})).mappings().first()


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


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after_s: int | None


# -- admit_task, two statements. The first counts the task in the key's total and so locks its
# row (an UPDATE waits for the previous holder and then reads the row's newest version); the
# second, whose snapshot is taken after the lock was granted, counts it in today's tasks and
# counts the key's unfinished tasks (the new one included). A refusal rolls both back.
_COUNT_TOTAL = text(
    "UPDATE api_keys SET tasks_total = tasks_total + 1 WHERE id = :id"
    " RETURNING tasks_total, total_limit, daily_limit, concurrency"
)
_COUNT_TODAY = text(
    f"""
    WITH day AS (
        INSERT INTO api_key_days (key_id, day, tasks) VALUES (:id, {_UTC_TODAY}, 1)
        ON CONFLICT (key_id, day) DO UPDATE SET tasks = api_key_days.tasks + 1
        RETURNING tasks
    )
    SELECT
        (SELECT tasks FROM day),
        CASE WHEN CAST(:count_unfinished AS boolean) THEN
            (SELECT count(*) FROM tasks WHERE key_id = :id AND status NOT IN ({FINAL}))
        ELSE 0 END,
        ceil(extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day'
            - (now() AT TIME ZONE 'UTC')))
    """
)
CONCURRENCY_RETRY_S = 5


async def admit_task(conn: AsyncConnection, key_id: int) -> Refusal | None:
    """Count the task just inserted (in this transaction) against the key's limits, or say why
    not (the caller then rolls back). Run it last and commit at once: the key's row stays locked
    until the commit."""
    counted = (await conn.execute(_COUNT_TOTAL, {"id": key_id})).mappings().first()
    if counted is None:
        return Refusal("API key no longer exists", None)
    total_limit, daily_limit, concurrency = (
        counted["total_limit"],
        counted["daily_limit"],
        counted["concurrency"],
    )
    if total_limit is not None and counted["tasks_total"] > total_limit:
        return Refusal(f"total limit of {total_limit} tasks reached", None)
    params = {"id": key_id, "count_unfinished": concurrency is not None}
    today, unfinished, day_left = (await conn.execute(_COUNT_TODAY, params)).one()
    if daily_limit is not None and today > daily_limit:
        return Refusal(f"daily limit of {daily_limit} tasks reached", max(1, int(day_left)))
    if concurrency is not None and unfinished > concurrency:
        return Refusal(
            f"concurrency limit of {concurrency} unfinished tasks reached", CONCURRENCY_RETRY_S
        )
    return None


# The usage export's GPU minutes: succeeded fast and turbo tasks cost fast time; each counts its
# /info estimate (db/gpu_time.py), else its wall-clock run time (docs/keys.md).
_RAN_MS = "(t.finish_time - t.start_time)"
_TIMED = "t.finish_time IS NOT NULL AND t.start_time IS NOT NULL"
_GPU = (
    f"t.status = {sql_list(TaskStatus.SUCCESS)} AND t.mode IN ('{FAST}', '{TURBO}')"
    f" AND (t.gpu_minutes IS NOT NULL OR ({_TIMED}))"
)


async def usage_by_day(
    conn: AsyncConnection, key_id: int | None, first: date, last: date
) -> list[RowMapping]:
    """Tasks per key, UTC day, action, status and mode between two days (inclusive), with the
    minutes they ran (start to finish), the fast GPU minutes the succeeded fast and turbo ones
    cost and where that figure comes from (`_GPU`), and their callbacks delivered; every key
    when `key_id` is None."""
    result = await conn.execute(
        text(
            f"""
            SELECT k.name AS key, (t.created_at AT TIME ZONE 'UTC')::date AS day,
                t.action, t.status, t.mode, count(*) AS tasks,
                round(coalesce(sum({_RAN_MS}) FILTER (WHERE {_TIMED}), 0) / 60000.0, 2)
                    AS run_minutes,
                round(coalesce(sum(coalesce(CAST(t.gpu_minutes AS numeric) * 60000, {_RAN_MS}))
                    FILTER (WHERE {_GPU}), 0) / 60000.0, 2) AS gpu_minutes,
                CASE WHEN count(*) FILTER (WHERE {_GPU}) = 0 THEN 'none'
                     WHEN count(t.gpu_minutes) = count(*) FILTER (WHERE {_GPU}) THEN 'info'
                     WHEN count(t.gpu_minutes) = 0 THEN 'wall-clock'
                     ELSE 'info+wall-clock' END AS gpu_minutes_source,
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
