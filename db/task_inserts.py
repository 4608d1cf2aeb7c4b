"""SQL that inserts a new task: in the caller's transaction (`insert_task`), or alone with its
first event and NOTIFYs (`insert_task_alone`), a client key's task admitted by its key's limits
in the same statement. Only app/taskstore.py calls these (tests/unit/db/test_task_sql.py).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import JSON
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.domain import json_codec
from db import api_keys, driver
from db.deliveries import CHANNEL as DELIVERIES_CHANNEL
from db.deliveries import new_webhook_id
from db.tables import tasks
from db.tasks import TASK_EVENTS_CHANNEL, TASKS_CHANNEL


class TaskIdTaken(Exception):
    """`insert_task` hit an existing id (two submissions drew the same random digits)."""


# Built once: the values go in as parameters, so a submit builds no statement (SQLAlchemy's
# compiled cache answers for each set of columns).
_INSERT_TASK = (
    pg_insert(tasks).on_conflict_do_nothing(index_elements=[tasks.c.id]).returning(tasks.c.id)
)


async def insert_task(conn: AsyncConnection, values: Mapping[str, Any]) -> None:
    """Insert one task row. A clashing id raises TaskIdTaken (`ON CONFLICT DO NOTHING` on the
    id: no savepoint, so no SAVEPOINT and RELEASE round trips around every insert)."""
    if (await conn.execute(_INSERT_TASK, dict(values))).first() is None:
        raise TaskIdTaken(values.get("id"))


# -- insert_task_alone: a new task without files or callback, as one statement run on its own
# (autocommit: atomic, and durable at its own commit): the row, event 1 and the NOTIFYs of
# `append_event_and_notify`. Two round trips fewer than BEGIN … COMMIT around three statements.
# It is the submit's hot path, so it runs as a plain asyncpg prepared statement (db/driver.py):
# built once per set of columns, each value cast to its column's type.
_PG = postgresql.dialect()


@dataclass(frozen=True)
class _Alone:
    sql: str
    order: tuple[str, ...]  # the `$n` parameters' names, in order
    json_columns: frozenset[str]


@functools.cache
def _alone_statement(columns: tuple[str, ...], keyed: bool, callback: bool = False) -> _Alone:
    names = ", ".join(columns)
    values = ", ".join(f"CAST(:{c} AS {tasks.c[c].type.compile(dialect=_PG)})" for c in columns)
    if keyed:
        # Admitted by its key's limits in the same statement (db/api_keys.py `ADMIT_CTES`): the
        # row is inserted only when the key's row was counted. No `ON CONFLICT` here: a clashing
        # id fails the whole statement, so the key's counts roll back with it.
        insert_new = f"""{api_keys.ADMIT_CTES}, new AS (
            INSERT INTO tasks ({names}) SELECT {values} FROM counted RETURNING id
        )"""
    else:
        insert_new = f"""new AS (
            INSERT INTO tasks ({names}) VALUES ({values})
            ON CONFLICT (id) DO NOTHING RETURNING id
        )"""
    # With a notify URL: callback 1 (its payload rendered by the caller) and the dispatchers'
    # NOTIFY go in the same statement (db/deliveries.py's outbox row).
    outbox = (
        """, outbox AS (
            INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload)
            SELECT id, 1, :cb_webhook_id, CAST(:notify_url AS text), CAST(:dialect AS text),
                   CAST(:cb_payload AS bytea) FROM new
        )"""
        if callback
        else ""
    )
    told = f", pg_notify('{DELIVERIES_CHANNEL}', '')" if callback else ""
    sql = f"""
        WITH {insert_new}, event AS (
            INSERT INTO task_events (task_id, seq, status, kind, data)
            SELECT id, 1, CAST(:status AS text), :event_kind, CAST(:event_data AS jsonb) FROM new
        ){outbox}
        SELECT id, pg_notify('{TASK_EVENTS_CHANNEL}', id || ':' || '1'),
            CASE WHEN CAST(:wake AS text) IS NOT NULL THEN pg_notify('{TASKS_CHANNEL}', :wake) END
            {told}
        FROM new
    """
    extra = ("cb_webhook_id", "cb_payload") if callback else ()
    order = (*columns, "event_kind", "event_data", "wake", *extra)
    positional = driver.positional(sql, order)
    json_columns = frozenset(c for c in columns if isinstance(tasks.c[c].type, JSON))
    return _Alone(positional, order, json_columns)


async def insert_task_alone(
    engine: AsyncEngine,
    values: Mapping[str, Any],
    *,
    kind: str,
    data: Any,
    wake: str | None,
    callback: bytes | None = None,
) -> None:
    """Insert one task row with its first event and NOTIFYs (`wake`: the note of app/domain/wake.py
    for `mjrelay_tasks`, None for none), committed. A clashing id raises TaskIdTaken. A task
    with a `key_id` is admitted by its key's limits in the same statement, or not inserted:
    QuotaRefused (db/api_keys.py). `callback`: the payload of callback 1, queued with it (the
    task has a notify URL)."""
    columns = tuple(sorted(values))
    key_id = values.get("key_id")
    stmt = _alone_statement(columns, key_id is not None, callback is not None)
    given = {
        **values,
        "event_kind": kind,
        "event_data": json_codec.dumps_text(data or {}),
        "wake": wake,
        "cb_webhook_id": new_webhook_id(),
        "cb_payload": callback,
    }
    args = [
        json_codec.dumps_text(given[name])
        if name in stmt.json_columns and given[name] is not None
        else given[name]
        for name in stmt.order
    ]
    try:
        inserted = await driver.fetchrow(engine, stmt.sql, *args)
    except asyncpg.exceptions.UniqueViolationError as error:
        if error.constraint_name == f"pk_{tasks.name}":
            raise TaskIdTaken(values.get("id")) from None
        raise
    if inserted is not None:
        return
    if key_id is None:
        raise TaskIdTaken(values.get("id"))
    async with engine.connect() as conn:
        raise api_keys.QuotaRefused(await api_keys.refusal(conn, int(key_id)))
