from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.worker.retention import purge_once


async def _task(conn, task_id: str, status: str, age_days: int, parent: str | None = None) -> None:
    await conn.execute(
        text(
            "INSERT INTO tasks (id, dialect, action, status, parent_id, created_at)"
            " VALUES (:id, 'webman', 'IMAGINE', :status, :parent,"
            " now() - make_interval(days => :age))"
        ),
        {"id": task_id, "status": status, "age": age_days, "parent": parent},
    )


async def test_retention_purges_only_old_finished_tasks(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for n in range(7):
            await _task(conn, f"old-done-{n}", "SUCCESS", 40)
        await _task(conn, "old-failed", "FAILURE", 40)
        await _task(conn, "old-running", "RUNNING", 40)
        await _task(conn, "old-pending", "PENDING", 40)
        await _task(conn, "new-done", "SUCCESS", 1)
        await _task(conn, "old-parent", "SUCCESS", 40)
        await _task(conn, "child-running", "RUNNING", 1, parent="old-parent")
        await _task(conn, "old-retrying", "SUCCESS", 40)
        await conn.execute(
            text(
                "INSERT INTO task_events (task_id, seq, status, kind) VALUES"
                " ('old-done-0', 1, 'SUCCESS', 'finished')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload, status)"
                " VALUES ('old-retrying', 1, 'msg_1', 'http://x', 'webman', '\\x7b7d', 'pending'),"
                " ('old-done-1', 1, 'msg_2', 'http://x', 'webman', '\\x7b7d', 'delivered')"
            )
        )

    removed = await purge_once(engine, days=30, batch=3)  # several batches

    async with engine.connect() as conn:
        left = set((await conn.execute(text("SELECT id FROM tasks"))).scalars())
        orphans = (await conn.execute(text("SELECT count(*) FROM task_events"))).scalar_one()
        deliveries = (await conn.execute(text("SELECT count(*) FROM deliveries"))).scalar_one()
    assert removed == 8
    assert left == {
        "old-running", "old-pending", "new-done", "old-parent", "child-running", "old-retrying"
    }  # fmt: skip
    assert orphans == 0
    assert deliveries == 1


async def test_modal_tasks_waiting_too_long_fail_with_reason(engine: AsyncEngine) -> None:
    from app.worker.modal_expiry import REASON, expire_modal_tasks

    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status, created_at) VALUES"
                " ('old-modal', 'novicezk', 'ZOOM_CUSTOM', 'MODAL', now() - interval '20 minutes'),"
                " ('new-modal', 'novicezk', 'ZOOM_CUSTOM', 'MODAL', now()),"
                " ('old-pending', 'novicezk', 'IMAGINE', 'PENDING', now() - interval '1 hour')"
            )
        )
    assert await expire_modal_tasks(engine, older_than_s=600) == 1
    async with engine.connect() as conn:
        rows = dict(
            (
                await conn.execute(
                    text("SELECT id, status || ':' || coalesce(fail_reason, '') FROM tasks")
                )
            ).all()
        )
        events = (
            (await conn.execute(text("SELECT kind FROM task_events WHERE task_id = 'old-modal'")))
            .scalars()
            .all()
        )
    assert rows == {
        "old-modal": f"FAILURE:{REASON}",
        "new-modal": "MODAL:",
        "old-pending": "PENDING:",
    }
    assert events == ["timeout"]
