"""SQL for client keys (docs/keys.md): the key rows, the rate bucket, the task quota.

Every limit is decided in PostgreSQL so several web processes cannot race past it: the rate
bucket is taken in the statement that looks the key up, and a task's admission is one
conditional UPDATE of the key's row (`ADMIT_CTES`), in the statement that inserts the task or,
when the task is written with more rows, as the last step of that transaction. The UPDATE takes
a `NO KEY UPDATE` lock (which leaves alone the `KEY SHARE` the task's foreign key holds) and
compares the limits with counters on the row, re-read after any wait for the lock; the commit
follows at once. Submits of one key are serialised only for that short tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.domain.speed import FAST, TURBO
from app.domain.status import TaskStatus
from db import driver
from db.statuses import sql_list

_UTC_TODAY = "(now() AT TIME ZONE 'UTC')::date"
# A key that may be used now (`ApiKey.refusal_any` in SQL): enabled and not expired.
_ALIVE = "k.enabled AND (k.expires_at IS NULL OR k.expires_at > now())"
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


# -- use_key: the key by its hash, and (when it is usable and has a rate) tokens of its bucket,
# in one statement: `wait_s` is 0 when the request may go on, `granted` the tokens taken (this
# request's and those a web process keeps for the next ones of the key: app/api/key_cache.py).
# A process takes up to a tenth of a second's worth of the rate at once (at most
# TOKEN_BATCH_MAX; one token for rates under 600/min), so at most that much of the rate is lost
# when the tokens it keeps expire unused. The tokens are taken by a plain UPDATE whose condition
# is checked again on the row's newest version once the row is free (a lock then an UPDATE of
# the same row in one statement could deadlock with the submits of the same key: bench http's
# submit-1key); `rate_granted` carries the number taken out of it. A refused request changes
# nothing (a full bucket refills the same either way). The bucket's commit does not wait for the
# disk (`synchronous_commit` off for this transaction): a crash may forget the last tokens
# taken, which costs nothing.
TOKEN_BATCH_MAX = 16
_AVAIL = (
    "least(k.rate_per_min::float8, k.rate_tokens"
    " + extract(epoch FROM clock_timestamp() - k.rate_at) * k.rate_per_min / 60.0)"
)
_BATCH = f"least(floor({_AVAIL}), greatest(1, least({TOKEN_BATCH_MAX}, k.rate_per_min / 600)))"
_USABLE = f"k.rate_per_min IS NOT NULL AND {_ALIVE}"
_USE_KEY = f"""
    WITH relaxed AS (
        SELECT set_config('synchronous_commit', 'off', true)
    ), found AS (
        SELECT {_COLUMNS}, {_AVAIL} AS avail, {_USABLE} AS limited FROM api_keys k
        WHERE key_hash = $1
    ), taken AS (
        UPDATE api_keys k SET rate_granted = {_BATCH}, rate_tokens = {_AVAIL} - {_BATCH},
            rate_at = clock_timestamp()
        WHERE k.key_hash = $1 AND {_USABLE} AND {_AVAIL} >= 1
        RETURNING k.rate_granted
    )
    SELECT found.*, (SELECT rate_granted FROM taken) AS granted,
        CASE WHEN NOT coalesce(found.limited, false) OR EXISTS (SELECT 1 FROM taken) THEN 0.0
             ELSE greatest((1 - found.avail) * 60.0 / found.rate_per_min, 0.001) END AS wait_s
    FROM found, relaxed
"""


async def use_key(engine: AsyncEngine, key_hash: str) -> dict[str, Any] | None:
    """The key (with `wait_s`: seconds until its rate allows this request, 0 = go on; and
    `granted`: the tokens taken, None when it has no rate), in one statement on its own
    (db/driver.py: no transaction around it, no SQLAlchemy execution)."""
    return await driver.fetchrow(engine, _USE_KEY, key_hash)


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
                CASE WHEN k.counted_day = {_UTC_TODAY} THEN k.counted_day_tasks ELSE 0 END
                    AS tasks_today,
                k.inflight AS unfinished
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
    unauthorized: bool = False  # the key itself is refused (disabled or expired meanwhile)


class QuotaRefused(Exception):
    """A keyed task refused by its key's task limits (nothing was written)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


# -- The admission of a keyed task: one conditional UPDATE of its key's row counts the task in
# the key's total, today's tasks and its unfinished tasks (`inflight`, which a trigger on `tasks`
# lowers when one ends: alembic 0009) when every limit allows it. An UPDATE that waited for a
# concurrent submit's lock re-checks its condition on the row's newest version, so no race
# passes a limit, and no count of the key's tasks runs while the row is locked. It checks the
# key itself again (enabled, not expired): a web process may use a lookup made a moment before
# the key was disabled (app/api/key_cache.py), but no task is created for it. Every keyed
# task is inserted through it (app/taskstore.py). `ADMIT_CTES` is a WITH list (`counted`) that
# a task's INSERT joins (db/task_inserts.py).
ADMIT_CTES = f"""
    counted AS (
        UPDATE api_keys k SET tasks_total = k.tasks_total + 1,
            counted_day_tasks = CASE WHEN k.counted_day = {_UTC_TODAY}
                THEN k.counted_day_tasks + 1 ELSE 1 END,
            counted_day = {_UTC_TODAY}, inflight = k.inflight + 1
        WHERE k.id = :key_id AND {_ALIVE}
          AND (k.total_limit IS NULL OR k.tasks_total < k.total_limit)
          AND (k.daily_limit IS NULL OR k.counted_day IS DISTINCT FROM {_UTC_TODAY}
               OR k.counted_day_tasks < k.daily_limit)
          AND (k.concurrency IS NULL OR k.inflight < k.concurrency)
        RETURNING k.id
    )"""
_ADMIT = text(f"WITH {ADMIT_CTES} SELECT id FROM counted")
_LIMITS = text(
    f"""
    SELECT enabled, expires_at IS NOT NULL AND expires_at <= now() AS expired,
        tasks_total, total_limit, counted_day = {_UTC_TODAY} AS counted_today,
        counted_day_tasks AS day_tasks, daily_limit,
        inflight, concurrency,
        ceil(extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day'
            - (now() AT TIME ZONE 'UTC'))) AS day_left_s
    FROM api_keys WHERE id = :key_id
    """
)
CONCURRENCY_RETRY_S = 5


async def admit(conn: AsyncConnection, key_id: int) -> None:
    """Count a keyed task against its key's limits, or raise QuotaRefused (the caller's
    transaction then rolls back). Run it last and commit at once: the key's row stays locked
    until the commit."""
    if await conn.scalar(_ADMIT, {"key_id": key_id}) is None:
        raise QuotaRefused(await refusal(conn, key_id))


async def refusal(conn: AsyncConnection, key_id: int) -> Refusal:
    """Why the key's limits refused a task (read after the refusal: the limit it met)."""
    row = (await conn.execute(_LIMITS, {"key_id": key_id})).mappings().first()
    if row is None:
        return Refusal("API key no longer exists", None)
    return refusal_of(row)


def refusal_of(row: RowMapping | dict[str, Any]) -> Refusal:
    """The limit a key's counters (`_LIMITS`) have reached, or the key's own refusal (a web
    process may have looked it up a moment before it was disabled: app/api/key_cache.py)."""
    if not row["enabled"]:
        return Refusal("API key is disabled", None, unauthorized=True)
    if row["expired"]:
        return Refusal("API key has expired", None, unauthorized=True)
    total_limit, daily_limit, concurrency = (
        row["total_limit"],
        row["daily_limit"],
        row["concurrency"],
    )
    if total_limit is not None and row["tasks_total"] >= total_limit:
        return Refusal(f"total limit of {total_limit} tasks reached", None)
    if daily_limit is not None and row["counted_today"] and row["day_tasks"] >= daily_limit:
        return Refusal(
            f"daily limit of {daily_limit} tasks reached", max(1, int(row["day_left_s"]))
        )
    if concurrency is not None and row["inflight"] >= concurrency:
        return Refusal(
            f"concurrency limit of {concurrency} unfinished tasks reached", CONCURRENCY_RETRY_S
        )
    # Another submit's task ended between the refusal and this read.
    return Refusal("a task limit of the API key was reached; retry", CONCURRENCY_RETRY_S)


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
    """Tasks per UTC day of one key since `since` (the dashboard's usage), from its tasks (kept
    `MJRELAY_RETENTION_DAYS`; `ix_tasks_key_id_created_at`)."""
    result = await conn.execute(
        text(
            """
            SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS tasks
            FROM tasks
            WHERE key_id = :id AND created_at >= CAST(:since AS date) AT TIME ZONE 'UTC'
            GROUP BY 1 ORDER BY 1 DESC
            """
        ),
        {"id": key_id, "since": since},
    )
    return list(result.mappings())
