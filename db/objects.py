"""SQL for `task_objects`: a task's files in object storage and the archive job of each.

enqueue          a pending row and its NOTIFY (the SUCCESS transaction writes it; re-arming a
                 failed one)
claim_due        pending rows whose time has come: attempts+1 and the next try scheduled
                 *before* the attempt runs, so a crash mid-attempt is simply retried then
mark_stored / mark_retry / mark_failed   the attempt's outcome
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import Float, Text

from db import driver

ARCHIVE_CHANNEL = "mjrelay_archive"

# -- enqueue: an archive job, and the archiver's wake-up when a row was written (PostgreSQL sends
# one NOTIFY per channel and payload per transaction however many jobs queued it).
_ENQUEUE = text(
    f"""
    WITH queued AS (
        INSERT INTO task_objects (task_id, name, key, source)
        VALUES (:task_id, :name, :key, :source)
        ON CONFLICT (task_id, name) DO UPDATE
        SET key = excluded.key, source = excluded.source, state = 'pending', attempts = 0,
            next_attempt_at = now(), last_error = NULL
        WHERE task_objects.state <> 'stored'
           OR task_objects.source IS DISTINCT FROM excluded.source
        RETURNING 1
    )
    SELECT pg_notify('{ARCHIVE_CHANNEL}', '') FROM queued
    """
)

_CLAIM = text(
    """
    UPDATE task_objects o
    SET attempts = o.attempts + 1,
        next_attempt_at = now() + make_interval(
            secs => (:delays)[LEAST(o.attempts + 1, cardinality(:delays))])
    FROM (SELECT task_id, name FROM task_objects
          WHERE state = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT :limit
          FOR UPDATE SKIP LOCKED) due
    WHERE o.task_id = due.task_id AND o.name = due.name
    RETURNING o.task_id, o.name, o.key, o.source, o.attempts
    """
).bindparams(bindparam("delays", type_=ARRAY(Float)))


async def enqueue(conn: AsyncConnection, *, task_id: str, name: str, key: str, source: str) -> None:
    """Queue (or re-arm) the job; the archiver hears of it at COMMIT."""
    await conn.execute(_ENQUEUE, {"task_id": task_id, "name": name, "key": key, "source": source})


async def notify_archive(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": ARCHIVE_CHANNEL})


async def claim_due(
    conn: AsyncConnection, *, limit: int, delays: Sequence[float]
) -> list[RowMapping]:
    result = await conn.execute(_CLAIM, {"limit": limit, "delays": list(delays)})
    return list(result.mappings())


_STORED_COLUMNS = ["task_id", "name", "key", "source", "content_type", "size", "sha256"]
_STORED = """
    INSERT INTO task_objects (task_id, name, key, state, source, content_type, size, sha256,
                              stored_at)
    VALUES (:task_id, :name, :key, 'stored', :source, :content_type, :size, :sha256, now())
    ON CONFLICT (task_id, name) DO UPDATE
    SET key = excluded.key, state = 'stored', source = excluded.source,
        content_type = excluded.content_type, size = excluded.size,
        sha256 = excluded.sha256, stored_at = now(), last_error = NULL
"""
_STORED_POSITIONAL = driver.positional(_STORED, _STORED_COLUMNS)


async def mark_stored(
    db: AsyncEngine | AsyncConnection,
    *,
    task_id: str,
    name: str,
    key: str,
    content_type: str,
    size: int,
    sha256: str,
    source: str | None,
) -> None:
    """Record a stored object (insert or update: lazy copies and migrations have no job row): in
    a connection's transaction, or on an engine as one statement committed on its own
    (db/driver.py: no BEGIN/COMMIT)."""
    values = [task_id, name, key, source, content_type, size, sha256]
    if isinstance(db, AsyncEngine):
        await driver.fetch(db, _STORED_POSITIONAL, *values)
    else:
        await db.execute(text(_STORED), dict(zip(_STORED_COLUMNS, values, strict=True)))


async def mark_retry(conn: AsyncConnection, *, task_id: str, name: str, error: str) -> None:
    await conn.execute(
        text("UPDATE task_objects SET last_error = :error WHERE task_id = :t AND name = :n"),
        {"t": task_id, "n": name, "error": error[:500]},
    )


async def mark_failed(conn: AsyncConnection, *, task_id: str, name: str, error: str) -> None:
    await conn.execute(
        text(
            "UPDATE task_objects SET state = 'failed', last_error = :error"
            " WHERE task_id = :t AND name = :n AND state = 'pending'"
        ),
        {"t": task_id, "n": name, "error": error[:500]},
    )


async def get_object(conn: AsyncConnection, task_id: str, name: str) -> RowMapping | None:
    result = await conn.execute(
        text("SELECT * FROM task_objects WHERE task_id = :t AND name = :n"),
        {"t": task_id, "n": name},
    )
    return result.mappings().first()


async def known_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """Which of `keys` a task's row names (in any state: a pending job may be mid-put)."""
    result = await conn.execute(
        text("SELECT key FROM task_objects WHERE key = ANY(:keys)").bindparams(
            bindparam("keys", type_=ARRAY(Text))
        ),
        {"keys": list(keys)},
    )
    return set(result.scalars())


async def stored_rows(
    conn: AsyncConnection, *, after: tuple[str, str], limit: int
) -> list[RowMapping]:
    """Stored rows in key order after (task_id, name): `storage check` walks them in pages."""
    result = await conn.execute(
        text(
            "SELECT task_id, name, key, size FROM task_objects"
            " WHERE state = 'stored' AND (task_id, name) > (:t, :n)"
            " ORDER BY task_id, name LIMIT :limit"
        ),
        {"t": after[0], "n": after[1], "limit": limit},
    )
    return list(result.mappings())


async def rearm(conn: AsyncConnection, *, task_id: str, name: str) -> bool:
    """A missing object goes back to the archiver (its Discord source may still answer)."""
    result = await conn.execute(
        text(
            "UPDATE task_objects SET state = 'pending', attempts = 0, next_attempt_at = now()"
            " WHERE task_id = :t AND name = :n AND source IS NOT NULL"
        ),
        {"t": task_id, "n": name},
    )
    return bool(result.rowcount)


async def legacy_blobs(conn: AsyncConnection, *, limit: int) -> list[RowMapping]:
    """Results archived as bytes in `task_files` before object storage (oldest first)."""
    result = await conn.execute(
        text(
            "SELECT f.task_id, f.name, f.content_type, f.source, f.data,"
            " t.properties ->> '_file_token' AS token"
            " FROM task_files f JOIN tasks t ON t.id = f.task_id"
            " WHERE f.role IN ('result', 'thumb') ORDER BY f.created_at LIMIT :limit"
        ),
        {"limit": limit},
    )
    return list(result.mappings())


async def drop_legacy_blob(conn: AsyncConnection, *, task_id: str, name: str) -> None:
    await conn.execute(
        text(
            "DELETE FROM task_files"
            " WHERE task_id = :t AND name = :n AND role IN ('result', 'thumb')"
        ),
        {"t": task_id, "n": name},
    )


_SIGNING_ACCOUNT = "SELECT api_base, token FROM accounts WHERE id = $1"


async def signing_account(engine: AsyncEngine, account_id: str) -> dict[str, Any] | None:
    """The account that can ask Discord to re-sign a task's links, and whose API base (the
    sandbox's, or a proxy's) serves its files: api_base and token only. One statement."""
    return await driver.fetchrow(engine, _SIGNING_ACCOUNT, account_id)
