"""The one place a task's state changes: create it, or record a change — each in one transaction.

    create_task(db, task, files=…)          PENDING row + event 1 (+ callback)
                                            (+ its client key's quota counted, or refused)
                                            NOTIFY mjrelay_tasks, mjrelay_task_events
    record_change(db, task_id, changes, …)  guarded update + event seq+1 in one statement
                                            (db/task_changes.py; else lock, decide) (+ callback
                                            when the body shows a change, or the task ended)
                                            NOTIFY mjrelay_deliveries (+ mjrelay_tasks on PENDING)
                                            NOTIFY mjrelay_task_events '<task_id>:<seq>'
                                            (+ on SUCCESS: archive jobs, NOTIFY mjrelay_archive)
    (app/task_notes.py: record_note, an event about a task that changes no status)

`db` is an AsyncEngine (a transaction is opened and committed here) or an AsyncConnection (the
work joins the caller's transaction, or opens one when none is active). Callback rows hold
`render_callback(task)` of the task *after* the change, so a receiver gets exactly what a fetch
of that task returns at that moment (transactional outbox, design.md "Flow of one task").

Every change a client can see (status, progress, results, buttons, failure) goes through here,
so each has its event and, when it shows, its callback. `db/leasing.py` also writes task rows,
but only the lease's bookkeeping, which has no event of its own: the owner and fence (adopt),
the pool assignment of a PENDING task (unassign) and the nonce and attempt count before an
interaction goes out (mark_submitting). Its one status move, the claim PENDING -> STARTED, is
recorded here by the claimer in the claim's transaction (`record_change(…, {}, kind="started")`
by the worker). tests/unit/db/test_task_sql.py keeps the writers to these two.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.dialects import render_callback
from app.dialects.changes import shows_a_change
from app.domain.results import result_source
from app.domain.status import TaskStatus, can_transition, is_final
from app.domain.task import Task
from app.domain.wake import wake_note
from app.errors import MjRelayError
from app.storage.keys import RESULT_KINDS, result_key
from db import api_keys as key_queries
from db import deliveries, task_file_rows
from db import objects as object_queries
from db import task_changes as changes_sql
from db import task_inserts as inserts
from db import tasks as q
from db.tables import tasks as tasks_table

Database = AsyncEngine | AsyncConnection

_COLUMNS = frozenset(c.name for c in tasks_table.columns)
_NOT_CHANGEABLE = frozenset({"id", "event_seq", "created_at", "updated_at"})
_MAX_ID_ATTEMPTS = 8


class InvalidTransition(MjRelayError):
    """A change asked for a status move the transition table forbids (a programming error)."""


@dataclass(frozen=True)
class StoredFile:
    """A file kept with a task (`task_files`): input image, mask, or archived result."""

    name: str
    role: str
    content_type: str
    data: bytes
    position: int = 0
    source: str | None = None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[AsyncConnection]:
    if isinstance(db, AsyncEngine):
        async with db.begin() as conn:
            yield conn
    elif db.in_transaction():
        yield db
    else:
        async with db.begin():
            yield db


def _row_values(task: Task) -> dict[str, Any]:
    values = {name: getattr(task, name) for name in _COLUMNS if hasattr(task, name)}
    values.pop("created_at", None)
    values.pop("updated_at", None)
    return values


async def _queue_callback(conn: AsyncConnection, task: Task, seq: int, last: bytes | None) -> None:
    """`last`: the task's newest callback payload, read with its locked row (None: none yet)."""
    if not task.notify_url:
        return
    payload = render_callback(task)
    # Only a change the receiver can see is worth a callback; a final state always is
    # (app/dialects/changes.py). The task row is locked, so the last payload is stable.
    if not is_final(task.status) and not shows_a_change(last, payload):
        return
    # The callback outbox row for event `seq`, in the caller's transaction; NOTIFY at commit.
    await deliveries.insert_delivery(
        conn,
        task_id=task.id,
        seq=seq,
        url=task.notify_url,
        dialect=task.dialect,
        payload=payload,
        notify=True,
    )


async def create_task(
    db: Database,
    task: Task,
    *,
    files: Sequence[StoredFile] = (),
    new_id: Callable[[], str] | None = None,
    kind: str = "created",
    data: Mapping[str, Any] | None = None,
) -> Task:
    """Insert `task` (as PENDING, or MODAL when waiting for client input) with its files. An id
    clash is retried with `new_id()` when given. Returns the task as stored. A task of a client
    key (`key_id`) is counted against its limits in the same transaction, or not written at all:
    db.api_keys.QuotaRefused."""
    if task.status not in (TaskStatus.PENDING, TaskStatus.MODAL):
        raise InvalidTransition(f"a new task starts PENDING or MODAL, not {task.status}")
    task = task.replace(
        event_seq=1, submit_time=task.submit_time if task.submit_time is not None else now_ms()
    )
    if isinstance(db, AsyncEngine) and not files:
        return await _create_alone(db, task, new_id, kind, data)
    async with transaction(db) as conn:
        for attempt in range(_MAX_ID_ATTEMPTS):
            try:
                await inserts.insert_task(conn, _row_values(task))
                break
            except inserts.TaskIdTaken:
                if new_id is None or attempt == _MAX_ID_ATTEMPTS - 1:
                    raise
                task = task.replace(id=new_id())
        for file in files:
            await store_file(conn, task.id, file)
        await _queue_callback(conn, task, 1, None)  # a new task: no callback before it
        await q.append_event_and_notify(
            conn,
            task_id=task.id,
            seq=1,
            status=task.status,
            kind=kind,
            data=dict(data or {}),
            wake=_wake_note(task) if task.status == TaskStatus.PENDING else None,
        )
        if task.key_id is not None:  # last: the key's row stays locked only until the commit
            await key_queries.admit(conn, task.key_id)
    return task


def _wake_note(task: Task) -> str:
    """Which runners the worker wakes for this pending task (app/domain/wake.py)."""
    return wake_note(task.bot, task.account_id or task.filter_account_id, task.key_accounts)


async def _create_alone(db: AsyncEngine, task: Task, new_id: Any, kind: str, data: Any) -> Task:
    """A task with no files: one statement on its own, callback 1 included (the common submit)."""
    wake, attempt = _wake_note(task) if task.status == TaskStatus.PENDING else None, 1
    while True:
        payload = render_callback(task) if task.notify_url else None  # a new one always shows
        try:
            await inserts.insert_task_alone(
                db, _row_values(task), kind=kind, data=data, wake=wake, callback=payload
            )
            return task
        except inserts.TaskIdTaken:
            if new_id is None or attempt >= _MAX_ID_ATTEMPTS:
                raise
            task, attempt = task.replace(id=new_id()), attempt + 1


_NOT_IN_EVENTS = frozenset({"buttons", "params", "properties", "inputs", "client_data"})


def _event_data(changes: Mapping[str, Any]) -> dict[str, Any]:
    plain = (str, int, float, bool, type(None))
    return {k: v for k, v in changes.items() if k not in _NOT_IN_EVENTS and isinstance(v, plain)}


async def record_change(
    db: Database,
    task_id: str,
    changes: Mapping[str, Any],
    *,
    kind: str,
    data: Mapping[str, Any] | None = None,
    expected_fence: int | None = None,
    expected_account_id: str | None = None,
    expected_statuses: Collection[str] | None = None,
) -> Task | None:
    """Apply `changes` (column -> value) to a task, with its event and callback, atomically.

    Returns the changed task, or None when the task does not exist, its `fence` is not
    `expected_fence`, its status is not in `expected_statuses`, or it is already final (a stale
    writer lost a race). Raises InvalidTransition for a move the table forbids, and ValueError
    for an unknown column. `start_time` / `finish_time` are filled in on STARTED / a final
    status when the change does not set them.
    """
    unknown = set(changes) - (_COLUMNS - _NOT_CHANGEABLE)
    if unknown:
        raise ValueError(f"not changeable task column(s): {', '.join(sorted(unknown))}")
    async with transaction(db) as conn:
        if changes.get("status") != TaskStatus.PENDING:  # a requeue's wake note reads the row
            at_once = await _change_at_once(
                conn, task_id, changes, kind, data, expected_fence, expected_account_id,
                expected_statuses,
            )  # fmt: skip
            if at_once is not None:
                return at_once
        row = await q.lock_task_for_change(conn, task_id)  # refused (or a requeue): say why
        if row is None:
            return None
        current = Task.from_row(row)
        if expected_fence is not None and row["fence"] != expected_fence:
            return None
        # Fences count per account: a writer holds a task only with its account *and* fence.
        if expected_account_id is not None and row["account_id"] != expected_account_id:
            return None
        if expected_statuses is not None and current.status not in {
            str(s) for s in expected_statuses
        }:
            return None
        new_status = str(changes.get("status", current.status))
        if not can_transition(current.status, new_status):
            if is_final(current.status):
                return None
            raise InvalidTransition(f"task {task_id}: {current.status} -> {new_status}")
        values = dict(changes)
        if "status" in values:
            values["status"] = new_status
        if new_status == TaskStatus.STARTED and current.start_time is None:
            values.setdefault("start_time", now_ms())
        if is_final(new_status):
            values.setdefault("finish_time", now_ms())
        seq = current.event_seq + 1
        values["event_seq"] = seq
        event = dict(data) if data is not None else _event_data(changes)
        requeued = new_status == TaskStatus.PENDING and current.status != TaskStatus.PENDING
        # The wake note reads plain columns (bot, accounts): the row as it will be.
        wake = _wake_note(Task.from_row({**row, **values})) if requeued else None
        changed = Task.from_row(
            await q.update_task_with_event(
                conn, task_id, values, seq=seq, status=new_status, kind=kind, data=event, wake=wake
            )
            or {}
        )
        last = row["last_callback"]
        await _queue_callback(conn, changed, seq, None if last is None else bytes(last))
        if new_status == TaskStatus.SUCCESS and current.status != TaskStatus.SUCCESS:
            await _queue_archive(conn, changed)
    return changed


async def _change_at_once(
    conn: AsyncConnection,
    task_id: str,
    changes: Mapping[str, Any],
    kind: str,
    data: Mapping[str, Any] | None,
    fence: int | None,
    account_id: str | None,
    statuses: Collection[str] | None,
) -> Task | None:
    """`record_change` in one statement (db/task_changes.py) when its guards hold, else None."""
    values = dict(changes)
    if "status" in values:
        values["status"] = str(values["status"])
    event = dict(data) if data is not None else _event_data(changes)
    row = await changes_sql.change_task(
        conn, task_id, values, kind=kind, data=event, now_ms=now_ms(), fence=fence,
        account_id=account_id, expected_statuses=statuses,
    )  # fmt: skip
    if row is None:
        return None
    changed = Task.from_row(row)
    last = row["last_callback"]
    await _queue_callback(conn, changed, changed.event_seq, None if last is None else bytes(last))
    if changed.status == TaskStatus.SUCCESS and "status" in values:  # it was not final before
        await _queue_archive(conn, changed)
    return changed


async def _queue_archive(conn: AsyncConnection, task: Task) -> None:
    """The archive jobs of a task that just succeeded: durable with the SUCCESS itself."""
    for kind in RESULT_KINDS:
        key = result_key(task, kind)
        source = result_source(task, kind)
        if key is not None and source:
            await object_queries.enqueue(conn, task_id=task.id, name=kind, key=key, source=source)


async def store_file(conn: AsyncConnection, task_id: str, file: StoredFile) -> None:
    """Keep a file with a task (inside the caller's transaction)."""
    await task_file_rows.insert_task_file(conn, task_id=task_id, **asdict(file))


async def get_task(db: Database, task_id: str, *, or_nonce: bool = False) -> Task | None:
    """The task with this id (`or_nonce`: else the newest with this interaction nonce)."""
    if isinstance(db, AsyncEngine) and not or_nonce:  # the fetch route's one statement
        found = await q.read_task(db, task_id)
        return Task.from_row(found) if found is not None else None
    async with transaction(db) as conn:
        row = await (q.get_task_by_id_or_nonce if or_nonce else q.get_task)(conn, task_id)
    return Task.from_row(row) if row is not None else None
