"""Fast GPU minutes from /info readings (db/gpu_time.py through db/account_state.py)."""

from __future__ import annotations

from sqlalchemy import text

from app.accounts import AccountSpec
from app.domain.account_state import AccountState
from db import account_state as q
from db.accounts import upsert_account


async def _account(engine) -> None:
    spec = AccountSpec(id="a1", token="tok", guild_id="1", channel_id="2")
    async with engine.begin() as conn:
        await upsert_account(conn, spec.row())
        await conn.execute(text("UPDATE accounts SET owner = 'w', fence = 7 WHERE id = 'a1'"))


async def _read(engine, minutes_left: float, fence: int = 7) -> None:
    async with engine.begin() as conn:
        reading = AccountState(fast_minutes_left=minutes_left)
        await q.record_account_state(conn, "a1", reading, owner="w", fence=fence)


async def _task(engine, task_id: str, mode: str, ran_s: float, status: str = "SUCCESS") -> None:
    """A task of a1 that finished just now after running `ran_s`."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, status, account_id, mode, start_time,"
                " finish_time) VALUES (:id, 'novicezk', 'IMAGINE', :status, 'a1', :mode,"
                " CAST(:now AS bigint) - CAST(:ran AS bigint), :now)"
            ),
            {"id": task_id, "status": status, "mode": mode, "ran": int(ran_s * 1000)}
            | {"now": await _now_ms(conn)},
        )


async def _now_ms(conn) -> int:
    return int(await conn.scalar(text("SELECT (extract(epoch FROM clock_timestamp()) * 1000)")))


async def _gpu(engine) -> dict[str, float | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, gpu_minutes FROM tasks"))
        return {row[0]: row[1] for row in rows}


async def test_the_drop_between_readings_is_shared_by_the_fast_tasks_in_between(engine) -> None:
    await _account(engine)
    await _task(engine, "before", "fast", 60)  # finished before any reading: no window
    await _read(engine, 600.0)
    await _task(engine, "fast", "fast", 60)
    await _task(engine, "turbo", "turbo", 30)  # charged twice: the same share as 60 s of fast
    await _task(engine, "relax", "relax", 60)
    await _task(engine, "failed", "fast", 60, status="FAILURE")
    await _read(engine, 597.0, fence=6)  # a stale owner's reading attributes nothing
    assert set((await _gpu(engine)).values()) == {None}
    await _read(engine, 597.0)
    gpu = await _gpu(engine)
    assert gpu == {"before": None, "fast": 1.5, "turbo": 1.5, "relax": None, "failed": None}

    # The next window: a task after it gets the next drop only; time bought again gives none.
    await _task(engine, "later", "fast", 10)
    await _read(engine, 700.0)
    assert (await _gpu(engine))["later"] is None
    await _task(engine, "last", "fast", 10)
    await _read(engine, 699.4)
    gpu = await _gpu(engine)
    assert gpu["later"] is None and round(gpu["last"] or 0, 6) == 0.6
    assert gpu["fast"] == 1.5  # attributed once


async def test_credits_exhausted_starts_a_new_window(engine) -> None:
    await _account(engine)
    await _read(engine, 30.0)
    await _task(engine, "fast", "fast", 60)
    async with engine.begin() as conn:
        await q.mark_fast_exhausted(conn, "a1", owner="w", fence=7)
    await _read(engine, 5.0)  # the first reading after the mark has no previous one
    assert (await _gpu(engine))["fast"] is None
