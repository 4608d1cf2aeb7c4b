"""SQL for tasks and their events. Every statement is a named async function.

A task's files have their own module (`db/task_file_rows.py`). The invariants live in
`app/taskstore.py`, which calls these inside one transaction: a change's guarded UPDATE
(db/task_changes.py) or `lock_task_for_change` (the row locked, with its newest callback) comes
first, its event gets `seq = event_seq + 1`, and the callback row is written beside it. Nothing
here commits but `note_task` and `read_task` on an engine (one statement on its own).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.selectable import TextualSelect

from app.domain import json_codec
from app.domain.status import TaskStatus
from db import driver
from db.tables import deliveries, task_events, tasks

TASKS_CHANNEL = "mjrelay_tasks"
# Every task change: payload "<task_id>:<seq>" (the dashboard's live updates, GET /events).
TASK_EVENTS_CHANNEL = "mjrelay_task_events"


def storable(text: object) -> bool:
    """Can PostgreSQL keep this string? (no NUL, no unpaired surrogate)."""
    if not isinstance(text, str) or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Built once: SQLAlchemy keeps a statement object's cache key (a new select per call is keyed
# again each time).
_GET = select(tasks).where(tasks.c.id == bindparam("task_id"))


# -- lock_task_for_change: the row locked, with the payload of its newest callback when it has a
# notify URL (`last_callback`: what the next one is compared with) in the same round trip.
_NEWEST_CALLBACK = (
    select(deliveries.c.payload)
    .where(deliveries.c.task_id == tasks.c.id)
    .order_by(deliveries.c.seq.desc())
    .limit(1)
    .scalar_subquery()
)
_LOCK_FOR_CHANGE = (
    select(tasks, case((tasks.c.notify_url.is_not(None), _NEWEST_CALLBACK)).label("last_callback"))
    .where(tasks.c.id == bindparam("task_id"))
    .with_for_update(of=tasks)
)


async def lock_task_for_change(conn: AsyncConnection, task_id: str) -> RowMapping | None:
    """The task row, locked until the transaction ends (`SELECT … FOR UPDATE`), with
    `last_callback` (bytes, or None: no notify URL or no callback yet)."""
    if not storable(task_id):
        return None
    return (await conn.execute(_LOCK_FOR_CHANGE, {"task_id": task_id})).mappings().first()


async def get_task(conn: AsyncConnection, task_id: str) -> RowMapping | None:
    if not storable(task_id):
        return None
    return (await conn.execute(_GET, {"task_id": task_id})).mappings().first()


# Every fetch reads this: the driver's prepared statement, outside a transaction (db/driver.py).
_COLUMN_LIST = ", ".join(c.name for c in tasks.columns)
_GET_TASK_SQL = f"SELECT {_COLUMN_LIST} FROM tasks WHERE id = $1"


async def read_task(engine: AsyncEngine, task_id: str) -> dict[str, Any] | None:
    """The task row with this id, read on its own (no transaction of the caller's)."""
    if not storable(task_id):
        return None
    return await driver.fetchrow(engine, _GET_TASK_SQL, task_id)


async def get_task_by_id_or_nonce(conn: AsyncConnection, key: str) -> RowMapping | None:
    """Pika status is keyed by "nonce": accept our task id or the interaction nonce."""
    found = await get_task(conn, key)
    if found is not None or not storable(key):
        return found
    result = await conn.execute(
        select(tasks).where(tasks.c.nonce == key).order_by(tasks.c.created_at.desc()).limit(1)
    )
    return result.mappings().first()


async def get_tasks(conn: AsyncConnection, ids: Sequence[str]) -> list[RowMapping]:
    """The tasks with these ids, in the order asked; unknown ids are skipped."""
    ids = [i for i in ids if storable(i)]
    if not ids:
        return []
    result = await conn.execute(select(tasks).where(tasks.c.id.in_(list(ids))))
    by_id = {row["id"]: row for row in result.mappings()}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]


async def list_recent_tasks(
    conn: AsyncConnection, limit: int = 100, *, key_id: int | None = None
) -> list[RowMapping]:
    """The newest tasks (of one client key, with `key_id`)."""
    stmt = select(tasks).order_by(tasks.c.created_at.desc(), tasks.c.id.desc()).limit(limit)
    if key_id is not None:
        stmt = stmt.where(tasks.c.key_id == key_id)
    return list((await conn.execute(stmt)).mappings())


async def list_queued_tasks(
    conn: AsyncConnection, limit: int = 100, *, key_id: int | None = None
) -> list[RowMapping]:
    """Tasks waiting for an account (PENDING), oldest first (of one client key, with `key_id`)."""
    stmt = (
        select(tasks)
        .where(tasks.c.status == TaskStatus.PENDING)
        .order_by(tasks.c.created_at, tasks.c.id)
        .limit(limit)
    )
    if key_id is not None:
        stmt = stmt.where(tasks.c.key_id == key_id)
    return list((await conn.execute(stmt)).mappings())


async def update_task(
    conn: AsyncConnection, task_id: str, values: Mapping[str, Any]
) -> RowMapping | None:
    """Update one task; the row as updated (one round trip: no read after the write)."""
    result = await conn.execute(
        update(tasks)
        .where(tasks.c.id == task_id)
        .values(**values, updated_at=func.now())
        .returning(*tasks.columns)
    )
    return result.mappings().first()


@functools.cache
def _change_statement(columns: tuple[str, ...]) -> TextualSelect:
    """UPDATE of `columns` + the event + its NOTIFYs as one statement, typed like the table."""
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    returned = ", ".join(c.name for c in tasks.columns)  # the model's order: read by position
    sql = f"""
        WITH changed AS (
            UPDATE tasks SET {sets}, updated_at = now() WHERE id = :ev_task_id
            RETURNING {returned}
        ), event AS (
            INSERT INTO task_events (task_id, seq, status, kind, data)
            SELECT id, :ev_seq, :ev_status, :ev_kind, CAST(:ev_data AS jsonb) FROM changed
        ), notified AS (
            SELECT pg_notify('{TASK_EVENTS_CHANNEL}', id || ':' || CAST(:ev_seq AS text)),
                CASE WHEN CAST(:ev_wake AS text) IS NOT NULL
                    THEN pg_notify('{TASKS_CHANNEL}', :ev_wake) END
            FROM changed
        )
        SELECT changed.* FROM changed CROSS JOIN notified
    """
    binds = [bindparam(name, type_=tasks.c[name].type) for name in columns]
    return text(sql).bindparams(*binds).columns(*tasks.columns)


async def update_task_with_event(
    conn: AsyncConnection,
    task_id: str,
    values: Mapping[str, Any],
    *,
    seq: int,
    status: str,
    kind: str,
    data: Any,
    wake: str | None = None,
) -> RowMapping | None:
    """`update_task` and `append_event_and_notify` in one round trip; the row as updated."""
    statement = _change_statement(tuple(sorted(values)))
    params = {"ev_task_id": task_id, "ev_seq": seq, "ev_status": status, "ev_kind": kind}
    params |= {"ev_data": json_codec.dumps_text(data or {}), "ev_wake": wake}
    return (await conn.execute(statement, {**values, **params})).mappings().first()


# -- note_task: an event that changes no status, `properties` merged in at the top level, as
# one statement. `event_seq` moves under the row lock the UPDATE takes, so a change committed
# meanwhile is counted (READ COMMITTED re-reads the row it waited for).
_NOTE_NAMES = ("task_id", "kind", "data", "properties")
_NOTE = f"""
    WITH changed AS (
        UPDATE tasks SET event_seq = event_seq + 1, updated_at = now(),
            properties = CASE WHEN CAST(:properties AS jsonb) IS NULL THEN properties
                ELSE coalesce(properties, '{{}}'::jsonb) || CAST(:properties AS jsonb) END
        WHERE id = :task_id
        RETURNING {_COLUMN_LIST}
    ), event AS (
        INSERT INTO task_events (task_id, seq, status, kind, data)
        SELECT id, event_seq, status, :kind, CAST(:data AS jsonb) FROM changed
    ), notified AS (
        SELECT pg_notify('{TASK_EVENTS_CHANNEL}', id || ':' || CAST(event_seq AS text))
        FROM changed
    )
    SELECT changed.* FROM changed CROSS JOIN notified
"""
_NOTE_POSITIONAL = driver.positional(_NOTE, _NOTE_NAMES)


async def note_task(
    db: AsyncEngine | AsyncConnection,
    task_id: str,
    *,
    kind: str,
    data: Any,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Append a note event (and merge `properties`); the row as updated, None when no task. In
    a connection's transaction, or on an engine committed on its own."""
    if not storable(task_id):
        return None
    merged = None if not properties else json_codec.dumps_text(dict(properties))
    values = (task_id, kind, json_codec.dumps_text(data or {}), merged)
    if isinstance(db, AsyncEngine):
        return await driver.fetchrow(db, _NOTE_POSITIONAL, *values)
    params = dict(zip(_NOTE_NAMES, values, strict=True))
    row = (await db.execute(text(_NOTE), params)).mappings().first()
    return None if row is None else dict(row)


async def append_task_event(
    conn: AsyncConnection, *, task_id: str, seq: int, status: str, kind: str, data: Any
) -> None:
    await conn.execute(
        insert(task_events).values(
            task_id=task_id, seq=seq, status=status, kind=kind, data=data or {}
        )
    )


# -- append_event_and_notify: a task's event and its NOTIFYs in one statement (one round trip).
_EVENT_AND_NOTIFY = text(
    f"""
    WITH event AS (
        INSERT INTO task_events (task_id, seq, status, kind, data)
        VALUES (:task_id, :seq, :status, :kind, CAST(:data AS jsonb))
    )
    SELECT pg_notify('{TASK_EVENTS_CHANNEL}', :task_id || ':' || CAST(:seq AS text)),
        CASE WHEN CAST(:wake AS text) IS NOT NULL THEN pg_notify('{TASKS_CHANNEL}', :wake) END
    """
)


async def append_event_and_notify(
    conn: AsyncConnection,
    *,
    task_id: str,
    seq: int,
    status: str,
    kind: str,
    data: Any,
    wake: str | None = None,
) -> None:
    """`append_task_event`, then NOTIFY `mjrelay_task_events` '<task_id>:<seq>' and, with a
    `wake` note (app/domain/wake.py), `mjrelay_tasks` with it (sent at COMMIT, in that order)."""
    params = {"task_id": task_id, "seq": seq, "status": status, "kind": kind, "wake": wake}
    await conn.execute(_EVENT_AND_NOTIFY, {**params, "data": json_codec.dumps_text(data or {})})


async def notify(conn: AsyncConnection, channel: str, payload: str = "") -> None:
    """NOTIFY `channel`; PostgreSQL delivers it when the transaction commits."""
    await conn.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )


async def list_task_events(conn: AsyncConnection, task_id: str) -> list[RowMapping]:
    result = await conn.execute(
        select(task_events).where(task_events.c.task_id == task_id).order_by(task_events.c.seq)
    )
    return list(result.mappings())


async def list_finished_children(conn: AsyncConnection, parent_id: str) -> list[RowMapping]:
    """The SUCCESS follow-ups of a task, newest first (a video's clips, for trueai's extend)."""
    stmt = (
        select(tasks)
        .where(tasks.c.parent_id == parent_id, tasks.c.status == "SUCCESS")
        .order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
        .limit(100)
    )
    return list((await conn.execute(stmt)).mappings())
