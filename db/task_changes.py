"""SQL for a task change that needs no read first: guard, update, event and NOTIFY as one statement.

`app/taskstore.record_change` used to lock the row, check it in Python, then update it: a round
trip more on every state change. Here the checks are the UPDATE's own WHERE clause (the status
the change may come from, the writer's fence and account, the statuses it expects), which
PostgreSQL evaluates on the newest version of the row once it holds its lock (READ COMMITTED
re-reads a row another transaction changed while this one waited). The statement also returns
the newest callback payload of the task, what the next callback is compared with. When the
guard refuses, no row comes back and the caller takes the long way (lock, read, decide), which
says why: the task is gone, no longer the writer's, already final, or the move is forbidden.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import Text

from app.domain import json_codec
from app.domain.status import FINAL_STATUSES, TaskStatus, can_transition
from db.statuses import STARTED
from db.tables import tasks
from db.tasks import TASK_EVENTS_CHANNEL, storable

_STATUSES = tuple(str(s) for s in TaskStatus)


def allowed_from(new_status: str | None) -> list[str]:
    """The statuses a task may be in for this change: those that may move to `new_status`, or,
    for a change that keeps the status, every one that is not final."""
    if new_status is None:
        return [s for s in _STATUSES if TaskStatus(s) not in FINAL_STATUSES]
    return [s for s in _STATUSES if can_transition(s, new_status)]


@functools.cache
def _statement(
    columns: tuple[str, ...], *, fenced: bool, owned: bool, expected: bool, ends: bool
) -> TextClause:
    """The UPDATE of `columns` under the guards asked for, its event and NOTIFY, and the task's
    newest callback payload. `ends`: a final status, which stamps finish_time."""
    sets = [f"{name} = :{name}" for name in columns]
    new_status = ":status" if "status" in columns else "status"
    if "start_time" not in columns:  # the first STARTED stamps it
        sets.append(
            f"start_time = CASE WHEN {new_status} = {STARTED}"
            " THEN coalesce(start_time, :ch_now) ELSE start_time END"
        )
    if ends and "finish_time" not in columns:
        sets.append("finish_time = :ch_now")
    guards = ["id = :ch_task_id", "status = ANY(:ch_allowed)"]
    if fenced:
        guards.append("fence = :ch_fence")
    if owned:
        guards.append("account_id = :ch_account_id")
    if expected:
        guards.append("status = ANY(:ch_expected)")
    returned = ", ".join(c.name for c in tasks.columns)
    sql = f"""
        WITH changed AS (
            UPDATE tasks SET {", ".join(sets)}, event_seq = event_seq + 1, updated_at = now()
            WHERE {" AND ".join(guards)}
            RETURNING {returned}
        ), event AS (
            INSERT INTO task_events (task_id, seq, status, kind, data)
            SELECT id, event_seq, status, :ch_kind, CAST(:ch_data AS jsonb) FROM changed
        ), notified AS (
            SELECT pg_notify('{TASK_EVENTS_CHANNEL}', id || ':' || CAST(event_seq AS text))
            FROM changed
        )
        SELECT changed.*, CASE WHEN changed.notify_url IS NOT NULL THEN (
            SELECT d.payload FROM deliveries d WHERE d.task_id = changed.id
            ORDER BY d.seq DESC LIMIT 1
        ) END AS last_callback
        FROM changed CROSS JOIN notified
    """
    binds = [bindparam(name, type_=tasks.c[name].type) for name in columns]
    binds += [bindparam("ch_allowed", type_=ARRAY(Text))]
    if expected:
        binds.append(bindparam("ch_expected", type_=ARRAY(Text)))
    return text(sql).bindparams(*binds)


async def change_task(
    conn: AsyncConnection,
    task_id: str,
    values: Mapping[str, Any],
    *,
    kind: str,
    data: Any,
    now_ms: int,
    fence: int | None = None,
    account_id: str | None = None,
    expected_statuses: Collection[str] | None = None,
) -> RowMapping | None:
    """Apply `values` when the guards hold; the row as updated plus `last_callback` (bytes, or
    None), or None when a guard refused (or there is no such task)."""
    if not storable(task_id):
        return None
    status = values.get("status")
    ends = status is not None and TaskStatus(status) in FINAL_STATUSES
    statement = _statement(
        tuple(sorted(values)),
        fenced=fence is not None,
        owned=account_id is not None,
        expected=expected_statuses is not None,
        ends=ends,
    )
    params: dict[str, Any] = {
        **values,
        "ch_task_id": task_id,
        "ch_allowed": allowed_from(None if status is None else str(status)),
        "ch_kind": kind,
        "ch_data": json_codec.dumps_text(data or {}),
        "ch_now": now_ms,
    }
    if fence is not None:
        params["ch_fence"] = fence
    if account_id is not None:
        params["ch_account_id"] = account_id
    if expected_statuses is not None:
        params["ch_expected"] = [str(s) for s in expected_statuses]
    return (await conn.execute(statement, params)).mappings().first()
