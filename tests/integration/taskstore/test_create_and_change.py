from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import event, select

from app.dialects import render_callback
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.taskstore import InvalidTransition, StoredFile, create_task, get_task, record_change
from db import task_file_rows
from db import tasks as q
from db.tables import deliveries, task_events, tasks


def _task(task_id: str = "1234567890123456", **kw) -> Task:
    values = dict(id=task_id, dialect="novicezk", action="IMAGINE", prompt="a cat")
    values.update(kw)
    return Task(**values)


async def _rows(engine, table, task_id):
    async with engine.connect() as conn:
        result = await conn.execute(select(table).where(table.c.task_id == task_id))
        return list(result.mappings())


async def test_create_task_writes_row_event_and_callback(engine) -> None:
    task = await create_task(engine, _task(notify_url="http://example.test/hook"))
    assert task.event_seq == 1 and task.submit_time
    stored = await get_task(engine, task.id)
    assert stored is not None and stored.status == "PENDING"
    events = await _rows(engine, task_events, task.id)
    assert [(e["seq"], e["status"], e["kind"]) for e in events] == [(1, "PENDING", "created")]
    sent = await _rows(engine, deliveries, task.id)
    assert len(sent) == 1 and sent[0]["seq"] == 1
    assert sent[0]["payload"] == render_callback(stored)
    assert sent[0]["webhook_id"].startswith("msg_")
    assert json.loads(sent[0]["payload"])["status"] == "NOT_START"


async def test_create_task_without_notify_url_writes_no_callback(engine) -> None:
    task = await create_task(engine, _task())
    assert await _rows(engine, deliveries, task.id) == []


async def test_create_task_retries_a_clashing_id(engine) -> None:
    await create_task(engine, _task("1111111111111111"))
    task = await create_task(engine, _task("1111111111111111"), new_id=lambda: "2222222222222222")
    assert task.id == "2222222222222222"


async def test_create_task_stores_files(engine) -> None:
    file = StoredFile(name="input-0.png", role="input", content_type="image/png", data=b"\x89PNG")
    task = await create_task(engine, _task(), files=[file])
    files = await task_file_rows.read_task_files(engine, task.id, "input")
    assert [(f["name"], f["data"], f["size"]) for f in files] == [("input-0.png", b"\x89PNG", 4)]


async def test_record_change_appends_event_and_callback_with_new_state(engine) -> None:
    task = await create_task(engine, _task(notify_url="http://example.test/hook"))
    changed = await record_change(
        engine, task.id, {"status": "STARTED", "account_id": None}, kind="leased"
    )
    assert changed is not None and changed.status == "STARTED" and changed.start_time
    changed = await record_change(
        engine, task.id, {"status": "RUNNING", "progress": 42}, kind="progress"
    )
    assert changed is not None and changed.event_seq == 3
    sent = await _rows(engine, deliveries, task.id)
    # STARTED shows as NOT_START again with only a start time added: no callback of its own.
    assert sorted(d["seq"] for d in sent) == [1, 3]
    last = max(sent, key=lambda d: d["seq"])
    assert json.loads(last["payload"])["progress"] == "42%"
    assert last["payload"] == render_callback(changed)
    changed = await record_change(
        engine, task.id, {"status": "SUCCESS", "image_url": "https://cdn/x.png"}, kind="done"
    )
    assert changed is not None and changed.finish_time


async def test_record_change_guards_return_none_and_write_nothing(engine) -> None:
    task = await create_task(engine, _task())
    assert await record_change(engine, "nope", {"progress": 1}, kind="x") is None
    assert await record_change(engine, task.id, {"progress": 1}, kind="x", expected_fence=7) is None
    assert (
        await record_change(
            engine, task.id, {"progress": 1}, kind="x", expected_statuses={"RUNNING"}
        )
        is None
    )
    assert len(await _rows(engine, task_events, task.id)) == 1
    async with engine.begin() as conn:
        await q.update_task(conn, task.id, {"fence": 7})
    ok = await record_change(engine, task.id, {"progress": 1}, kind="x", expected_fence=7)
    assert ok is not None and ok.progress == 1


async def test_record_change_on_final_task_is_stale(engine) -> None:
    task = await create_task(engine, _task())
    await record_change(engine, task.id, {"status": "CANCEL"}, kind="cancel")
    assert await record_change(engine, task.id, {"status": "RUNNING"}, kind="late") is None


async def test_record_change_rejects_forbidden_transition_and_unknown_column(engine) -> None:
    task = await create_task(engine, _task())
    await record_change(engine, task.id, {"status": TaskStatus.STARTED}, kind="leased")
    await record_change(engine, task.id, {"status": TaskStatus.RUNNING}, kind="run")
    with pytest.raises(InvalidTransition):
        await record_change(engine, task.id, {"status": "STARTED"}, kind="bad")
    with pytest.raises(ValueError):
        await record_change(engine, task.id, {"nope": 1}, kind="bad")
    with pytest.raises(ValueError):
        await record_change(engine, task.id, {"event_seq": 9}, kind="bad")


async def test_record_change_joins_the_callers_transaction(engine) -> None:
    task = await create_task(engine, _task())
    async with engine.connect() as conn:
        await conn.begin()
        await record_change(conn, task.id, {"progress": 5}, kind="x")
        await conn.rollback()
    async with engine.connect() as conn:
        row = (await conn.execute(select(tasks).where(tasks.c.id == task.id))).mappings().one()
    assert row["progress"] == 0 and row["event_seq"] == 1


async def test_a_change_the_guards_allow_is_one_statement_and_its_callback(engine) -> None:
    """No row read first: the guarded UPDATE (with its event) and the callback row only."""
    task = await create_task(engine, _task(notify_url="http://example.test/hook"))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        changed = await record_change(
            engine, task.id, {"status": "RUNNING", "progress": 7}, kind="progress"
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert changed is not None and changed.progress == 7 and changed.event_seq == 2
    assert len(statements) == 2, statements
    assert "UPDATE tasks" in statements[0] and "INSERT INTO deliveries" in statements[1]
    sent = await _rows(engine, deliveries, task.id)
    assert max(sent, key=lambda d: d["seq"])["payload"] == render_callback(changed)


async def test_concurrent_changes_of_one_task_number_their_events_in_turn(engine) -> None:
    task = await create_task(engine, _task(notify_url="http://example.test/hook"))
    await record_change(engine, task.id, {"status": "RUNNING"}, kind="run")
    results = await asyncio.gather(
        *(record_change(engine, task.id, {"progress": p}, kind="progress") for p in range(1, 9))
    )
    assert sorted(r.event_seq for r in results if r is not None) == list(range(3, 11))
    events = await _rows(engine, task_events, task.id)
    assert sorted(e["seq"] for e in events) == list(range(1, 11))
    sent = await _rows(engine, deliveries, task.id)
    assert len({d["seq"] for d in sent}) == len(sent)


async def test_start_time_is_the_first_start_and_a_final_status_stamps_its_finish(engine) -> None:
    task = await create_task(engine, _task())
    started = await record_change(engine, task.id, {"status": "STARTED"}, kind="leased")
    assert started is not None and started.start_time and not started.finish_time
    await record_change(engine, task.id, {"status": "SUBMITTED"}, kind="submitted")
    again = await record_change(engine, task.id, {"status": "STARTED"}, kind="again")
    assert again is not None and again.start_time == started.start_time
    ended = await record_change(
        engine, task.id, {"status": "FAILURE", "fail_reason": "x"}, kind="failed"
    )
    assert ended is not None and ended.finish_time and ended.start_time == started.start_time
