"""Account state and speed-mode columns (db/account_state.py, migration 0004) on real Postgres."""

from __future__ import annotations

from sqlalchemy import text

from app import taskstore
from app.accounts import AccountSpec
from app.domain.account_state import AccountState
from app.domain.actions import Bot
from app.domain.task import Task
from db import account_state as q
from db.accounts import get_account, upsert_account


async def _account(engine, account_id: str = "a1", **extra) -> None:
    spec = AccountSpec(id=account_id, token="tok", guild_id="1", channel_id="2", **extra)
    async with engine.begin() as conn:
        await upsert_account(conn, spec.row())
        await conn.execute(
            text("UPDATE accounts SET owner = 'w', fence = 7 WHERE id = :id"), {"id": account_id}
        )


async def test_a_reading_is_stored_and_fenced(engine) -> None:
    await _account(engine, weight=2, daily_job_cap=5, working_hours="08:00-20:00")
    reading = AccountState(
        job_mode="relax",
        fast_time_remaining="0.1/15.0 hours (0.67%)",
        fast_minutes_left=6.0,
        subscription="Basic (Active monthly)",
        queued_jobs=1,
        running_jobs=2,
        info={"Job Mode": "Relaxed"},
    )
    async with engine.begin() as conn:
        # A stale owner's reading is refused.
        assert not await q.record_account_state(conn, "a1", reading, owner="w", fence=6)
        assert await q.record_account_state(conn, "a1", reading, owner="w", fence=7)
        row = await q.get_account_state(conn, "a1")
    assert row is not None
    assert (row["job_mode"], row["fast_minutes_left"], row["queued_jobs"]) == ("relax", 6.0, 1)
    assert row["fast_exhausted"] is True  # 6 minutes: below the threshold
    assert row["info"] == {"Job Mode": "Relaxed"} and row["state_read_at"] is not None
    assert row["remix"] is None and row["remix_auto"] is True

    # A later settings reading keeps the /info fields; time bought again clears exhaustion.
    async with engine.begin() as conn:
        await q.record_account_state(conn, "a1", AccountState(remix=True, settings={"v": "7"}))
        await q.record_account_state(conn, "a1", AccountState(fast_minutes_left=600.0))
        row = await q.get_account_state(conn, "a1")
        public = await get_account(conn, "a1")
    assert row is not None and public is not None
    assert row["remix"] is True and row["subscription"] == "Basic (Active monthly)"
    assert row["fast_exhausted"] is False
    assert (public["weight"], public["daily_job_cap"], public["working_hours"]) == (
        2,
        5,
        "08:00-20:00",
    )
    assert "token" not in public


async def test_a_niji_reading_sets_only_nijis_columns(engine) -> None:
    await _account(engine)
    mj = AccountState(
        job_mode="fast", remix=False, fast_minutes_left=600.0, info={"Job Mode": "Fast"}
    )
    niji = AccountState(
        job_mode="relax", remix=True, fast_minutes_left=1.0, info={"Job Mode": "Relaxed"}
    )
    async with engine.begin() as conn:
        await q.record_account_state(conn, "a1", mj)
        assert not await q.record_account_state(conn, "a1", niji, owner="w", fence=6, bot=Bot.NIJI)
        assert await q.record_account_state(conn, "a1", niji, owner="w", fence=7, bot=Bot.NIJI)
        row = await q.get_account_state(conn, "a1")
    assert row is not None
    assert (row["job_mode"], row["remix"], row["info"]) == ("fast", False, {"Job Mode": "Fast"})
    assert row["fast_exhausted"] is False  # fast time is read from Midjourney's /info only
    assert (row["niji_job_mode"], row["niji_remix"]) == ("relax", True)
    assert row["niji_info"] == {"Job Mode": "Relaxed"} and row["niji_state_read_at"] is not None
    async with engine.begin() as conn:
        assert await q.set_job_mode(conn, "a1", "turbo", owner="w", fence=7, bot=Bot.NIJI)
        row = await q.get_account_state(conn, "a1")
    assert row is not None and (row["niji_job_mode"], row["job_mode"]) == ("turbo", "fast")


async def test_mode_exhaustion_and_controls(engine) -> None:
    await _account(engine)
    async with engine.begin() as conn:
        assert await q.set_job_mode(conn, "a1", "turbo", owner="w", fence=7)
        assert await q.mark_fast_exhausted(conn, "a1", owner="w", fence=7)
        assert await q.set_account_controls(conn, "a1", mode="relax", remix_auto=False)
        assert not await q.set_account_controls(conn, "nope", mode="relax")
        row = await q.get_account_state(conn, "a1")
    assert row is not None
    assert (row["job_mode"], row["mode"], row["remix_auto"]) == ("turbo", "relax", False)
    assert row["fast_exhausted"] is True and row["fast_minutes_left"] == 0.0


async def test_task_speed_fields_round_trip(engine) -> None:
    task = Task(
        id="t1",
        dialect="novicezk",
        action="IMAGINE",
        prompt="a fox",
        request_mode="relax",
        filter_modes=["relax", "fast"],
        filter_account_id="a1",
        filter_remix=True,
        remix_auto=False,
    )
    await taskstore.create_task(engine, task)
    stored = await taskstore.get_task(engine, "t1")
    assert stored is not None
    assert stored.mode_request().acceptable() == ["relax"]
    assert (stored.filter_modes, stored.filter_account_id, stored.filter_remix) == (
        ["relax", "fast"],
        "a1",
        True,
    )
    assert stored.remix_auto is False and stored.mode is None


async def test_jobs_today_counts_started_tasks(engine) -> None:
    await _account(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, account_id, start_time) VALUES"
                " ('x1', 'novicezk', 'IMAGINE', 'a1',"
                "  (extract(epoch FROM now()) * 1000)::bigint),"
                " ('x2', 'novicezk', 'IMAGINE', 'a1', 1000)"
            )
        )
        assert await q.jobs_today(conn, "a1") == 1
