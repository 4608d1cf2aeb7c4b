"""SQL for `Idempotency-Key` (docs/keys.md): one row per caller scope and key, kept 24 hours.

`claim` runs in the submit's transaction, before the task is written: its insert either takes
the key (the caller then creates the task and `settle`s it in the same transaction), or meets a
live row — waiting, through the unique index, for a concurrent submit of the same key to commit
or roll back — and returns it. So any number of identical concurrent retries create one task.
A row older than the window is taken over as if it were absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

KEEP_S = 24 * 3600
_FRESH = "created_at > now() - make_interval(secs => :keep_s)"


@dataclass(frozen=True)
class Earlier:
    """The request a key was first used with, and the task it created (None while that
    submit is still running: it had not committed when this one read the row)."""

    request_hash: str
    task_id: str | None


async def lookup(conn: AsyncConnection, scope: str, key: str) -> Earlier | None:
    row = (
        await conn.execute(
            text(
                f"SELECT request_hash, task_id FROM idempotency_keys"
                f" WHERE scope = :scope AND key = :key AND {_FRESH}"
            ),
            {"scope": scope, "key": key, "keep_s": KEEP_S},
        )
    ).first()
    return Earlier(row[0], row[1]) if row is not None else None


async def claim(conn: AsyncConnection, scope: str, key: str, request_hash: str) -> Earlier | None:
    """None when this transaction now holds the key, else the earlier use of it."""
    taken = await conn.scalar(
        text(
            """
            INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (:scope, :key, :hash)
            ON CONFLICT (scope, key) DO UPDATE
            SET request_hash = excluded.request_hash, task_id = NULL, created_at = now()
            WHERE idempotency_keys.created_at <= now() - make_interval(secs => :keep_s)
            RETURNING 1
            """
        ),
        {"scope": scope, "key": key, "hash": request_hash, "keep_s": KEEP_S},
    )
    if taken:
        return None
    return await lookup(conn, scope, key)


async def settle(conn: AsyncConnection, scope: str, key: str, task_id: str) -> None:
    await conn.execute(
        text("UPDATE idempotency_keys SET task_id = :task_id WHERE scope = :scope AND key = :key"),
        {"scope": scope, "key": key, "task_id": task_id},
    )


async def sweep(conn: AsyncConnection, limit: int = 10_000) -> int:
    """Forget keys older than the window (at most `limit` a call); returns how many."""
    result = await conn.execute(
        text(
            f"""
            DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_keys WHERE NOT ({_FRESH}) LIMIT :limit))
            """
        ),
        {"keep_s": KEEP_S, "limit": limit},
    )
    return int(result.rowcount or 0)
