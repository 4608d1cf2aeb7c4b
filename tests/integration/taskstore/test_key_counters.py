"""A client key's counters on its row (alembic 0009): `inflight` follows the key's unfinished
tasks (the admission counts a new one, a trigger follows every other writer), and a keyed
insert counts its key exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.domain.status import TaskStatus
from app.domain.task import Task
from app.taskstore import create_task, record_change
from db import api_keys
from db.statuses import FINAL
from db.task_inserts import TaskIdTaken


def _task(task_id: str, key_id: int, **kw) -> Task:
    return Task(
        id=task_id, dialect="novicezk", action="IMAGINE", prompt="a fox", key_id=key_id, **kw
    )


async def _key(engine, **limits) -> int:
    async with engine.begin() as conn:
        return await api_keys.insert_key(conn, name="k", key_hash="h", key_prefix="mjr_k", **limits)


async def _counters(engine, key_id: int) -> tuple[int, int, int, int]:
    """(inflight, its truth: the key's unfinished tasks, tasks_total, today's tasks)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"""
                    SELECT inflight, (SELECT count(*) FROM tasks
                                      WHERE key_id = :id AND status NOT IN ({FINAL})),
                        tasks_total, counted_day_tasks
                    FROM api_keys WHERE id = :id
                    """
                ),
                {"id": key_id},
            )
        ).one()
    return tuple(int(v) for v in row)  # type: ignore[return-value]


async def test_inflight_follows_the_keys_unfinished_tasks_through_every_writer(engine) -> None:
    key = await _key(engine)
    await create_task(engine, _task("1000000000000001", key))  # one statement
    await create_task(engine, _task("1000000000000002", key, notify_url="http://x.test/h"))
    await create_task(engine, _task("1000000000000003", key))
    assert await _counters(engine, key) == (3, 3, 3, 3)

    await record_change(engine, "1000000000000001", {"status": TaskStatus.STARTED}, kind="t")
    assert (await _counters(engine, key))[:2] == (3, 3)  # unfinished to unfinished: no change
    await record_change(engine, "1000000000000001", {"status": TaskStatus.SUCCESS}, kind="t")
    await record_change(engine, "1000000000000002", {"status": TaskStatus.FAILURE}, kind="t")
    assert (await _counters(engine, key))[:2] == (1, 1)

    async with engine.begin() as conn:  # any other writer: a delete, a status set by hand
        await conn.execute(text("DELETE FROM tasks WHERE id = '1000000000000003'"))
        await conn.execute(
            text("UPDATE tasks SET status = 'PENDING' WHERE id = '1000000000000001'")
        )
    assert await _counters(engine, key) == (1, 1, 3, 3)


async def test_a_refused_or_clashing_keyed_insert_counts_nothing(engine) -> None:
    key = await _key(engine, concurrency=2)
    await create_task(engine, _task("2000000000000001", key))
    with pytest.raises(TaskIdTaken):  # the whole statement fails: the key's counts too
        await create_task(engine, _task("2000000000000001", key))
    assert await _counters(engine, key) == (1, 1, 1, 1)

    retried = await create_task(
        engine, _task("2000000000000001", key), new_id=lambda: "2000000000000002"
    )
    assert retried.id == "2000000000000002"
    assert await _counters(engine, key) == (2, 2, 2, 2)

    with pytest.raises(api_keys.QuotaRefused) as refused:
        await create_task(engine, _task("2000000000000003", key))
    assert "concurrency limit of 2" in refused.value.refusal.reason
    assert await _counters(engine, key) == (2, 2, 2, 2)
