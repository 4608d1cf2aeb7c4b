"""The lease's account rules on real Postgres (db/leasing.py, db/lease_rules.py): speed modes,
fast time, the relax fallback, the account filter, daily caps, working hours, account choice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.leasing import LeasePolicy, lease_tasks


async def _account(engine: AsyncEngine, account_id: str, **columns: Any) -> None:
    values = {"owner": "w", "fence": 1, **columns}
    names = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO accounts (id, token, guild_id, channel_id, lease_expires_at, {names})"
                f" VALUES (:id, 't', '1', '2', now() + interval '1 hour', {params})"
            ),
            {"id": account_id, **values},
        )


async def _task(engine: AsyncEngine, task_id: str, **columns: Any) -> None:
    values = {"created_at_offset": 0, **columns}
    offset = values.pop("created_at_offset")
    names = "".join(f", {k}" for k in values)
    params = "".join(f", :{k}" for k in values)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"INSERT INTO tasks (id, dialect, action, created_at{names}) VALUES"
                f" (:id, 'novicezk', 'IMAGINE', now() - make_interval(secs => :offset){params})"
            ),
            {"id": task_id, "offset": offset, **values},
        )


async def _back_in_queue(engine: AsyncEngine, task_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tasks SET status = 'PENDING', account_id = NULL, created_at = now()"
                " WHERE id = :id"
            ),
            {"id": task_id},
        )


async def _lease(engine: AsyncEngine, account_id: str, **options: Any) -> list[str]:
    async with engine.begin() as conn:
        rows = await lease_tasks(conn, account_id=account_id, owner="w", fence=1, **options)
    return sorted(row["id"] for row in rows)


async def test_modes_go_to_the_account_already_in_them(engine: AsyncEngine) -> None:
    await _account(engine, "a", job_mode="fast")
    await _account(engine, "b", job_mode="relax")
    await _task(engine, "relax1", request_mode="relax")
    await _task(engine, "fast1", request_mode="fast")
    await _task(engine, "either", filter_modes=["turbo", "relax"])
    await _task(engine, "plain")  # runs in the account's default mode (fast)
    # a (fast) takes what fast serves; a switch is not offered while b (relax) has room.
    assert await _lease(engine, "a") == ["fast1", "plain"]
    assert await _lease(engine, "a", switch=True) == []
    assert await _lease(engine, "b") == ["either", "relax1"]


async def test_an_idle_account_switches_for_one_task_nobody_fits(engine: AsyncEngine) -> None:
    await _account(engine, "a", job_mode="fast")
    await _task(engine, "relax1", request_mode="relax")
    await _task(engine, "relax2", request_mode="relax")
    assert await _lease(engine, "a") == []
    assert await _lease(engine, "a", switch=True) == ["relax1"]
    # Busy now: no second switch claim; in the new mode the rest is ordinary.
    assert await _lease(engine, "a", switch=True) == []
    assert await _lease(engine, "a", mode="relax") == ["relax2"]


async def test_out_of_fast_time_serves_relax_only_unless_falling_back(engine: AsyncEngine) -> None:
    await _account(engine, "poor", job_mode="fast", fast_exhausted=True)
    await _task(engine, "fast1", request_mode="fast")
    await _task(engine, "plain")  # default fast, but the account runs it in relax
    assert await _lease(engine, "poor") == []
    assert await _lease(engine, "poor", switch=True) == ["plain"]
    assert await _lease(engine, "poor", mode="relax") == []  # fast1 waits, not taken
    fallback = LeasePolicy(fallback_relax=True)
    await _account(engine, "rich", job_mode="fast")
    assert await _lease(engine, "poor", mode="relax", policy=fallback) == []  # rich has time
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET enabled = false WHERE id = 'rich'"))
    assert await _lease(engine, "poor", mode="relax", policy=fallback) == ["fast1"]


async def test_filters_caps_and_hours(engine: AsyncEngine) -> None:
    await _account(engine, "a", job_mode="fast", remix=True, remix_auto=False)
    await _account(engine, "b", job_mode="fast", daily_job_cap=2)
    hour = datetime.now(UTC).hour
    closed = f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"  # starts in 1-2 hours
    await _account(engine, "c", job_mode="fast", working_hours=closed)
    await _task(engine, "only_b", filter_account_id="b", created_at_offset=60)
    await _task(engine, "remix_shown", filter_remix=True, created_at_offset=60)
    await _task(engine, "remix_never", filter_remix=False, created_at_offset=60)
    await _task(engine, "b2", filter_account_id="b", created_at_offset=30)
    assert await _lease(engine, "c") == []  # outside its working hours
    assert await _lease(engine, "a") == ["remix_shown"]
    assert await _lease(engine, "b") == ["only_b", "remix_never"]
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE tasks SET status = 'SUCCESS' WHERE id IN ('only_b', 'remix_never')")
        )
    assert await _lease(engine, "b") == []  # its daily cap (2) is used up
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET daily_job_cap = 3 WHERE id = 'b'"))
    assert await _lease(engine, "b") == ["b2"]


async def test_account_choice(engine: AsyncEngine) -> None:
    await _account(engine, "a", job_mode="fast", weight=1)
    await _account(engine, "b", job_mode="fast", weight=4)
    await _task(engine, "busy", account_id="a", status="RUNNING")
    await _task(engine, "new")
    # least-busy: a (1 in flight) leaves the task to b (0); after the wait anyone takes it.
    assert await _lease(engine, "a") == []
    assert await _lease(engine, "a", policy=LeasePolicy(wait_s=0)) == ["new"]
    await _back_in_queue(engine, "new")
    # fill-first: a comes first by id, busy or not.
    assert await _lease(engine, "b", policy=LeasePolicy(choice="fill-first")) == []
    assert await _lease(engine, "a", policy=LeasePolicy(choice="fill-first")) == ["new"]
    await _back_in_queue(engine, "new")
    # round-robin: a just leased, so b (never leased) goes first.
    assert await _lease(engine, "a", policy=LeasePolicy(choice="round-robin")) == []
    assert await _lease(engine, "b", policy=LeasePolicy(choice="round-robin")) == ["new"]
    await _back_in_queue(engine, "new")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, account_id, status) SELECT 'busy' || g,"
                " 'novicezk', 'IMAGINE', 'b', 'RUNNING' FROM generate_series(1, 2) g"
            )
        )
    # weighted: b runs 2 of weight 4 (0.5 each) against a's 1 of weight 1: b goes first.
    assert await _lease(engine, "a", policy=LeasePolicy(choice="weighted")) == []
    assert await _lease(engine, "b", policy=LeasePolicy(choice="weighted")) == ["new"]


NIJI_BOTS = ["mj", "niji"]


async def test_niji_tasks_lease_in_nijis_own_mode(engine: AsyncEngine) -> None:
    """niji・journey keeps its own speed mode (spec v2 §6): Midjourney in fast, niji in relax."""
    await _account(engine, "a", job_mode="fast", niji_job_mode="relax", bots=NIJI_BOTS)
    await _task(engine, "mj_relax", request_mode="relax")
    await _task(engine, "niji_relax", request_mode="relax", bot="niji")
    await _task(engine, "niji_fast", request_mode="fast", bot="niji")
    await _task(engine, "mj_fast", request_mode="fast")
    assert await _lease(engine, "a") == ["mj_fast", "niji_relax"]
    await _account(engine, "idle", job_mode="fast", niji_job_mode="relax", bots=NIJI_BOTS)
    # A switch is one task: the oldest one neither of idle's bots runs in its current mode.
    assert await _lease(engine, "idle", switch=True) == ["mj_relax"]
    # The runner leases niji's tasks in niji's target mode while it switches niji.
    await _account(engine, "c", job_mode="fast", niji_job_mode="relax", bots=NIJI_BOTS)
    assert await _lease(engine, "c", niji_mode="fast") == ["niji_fast"]


async def test_the_niji_remix_filter_reads_nijis_remix(engine: AsyncEngine) -> None:
    """accountFilter.nijiRemix: niji's Remix shown to the client (on, not auto-submitted)."""
    await _account(engine, "mj_remix", remix=True, niji_remix=False, remix_auto=False)
    await _account(engine, "niji_remix", remix=False, niji_remix=True, remix_auto=False)
    await _account(engine, "auto", remix=True, niji_remix=True, remix_auto=True)
    await _task(engine, "wants_niji_remix", filter_niji_remix=True, created_at_offset=60)
    await _task(engine, "no_niji_remix", filter_niji_remix=False, created_at_offset=50)
    await _task(engine, "both", filter_remix=True, filter_niji_remix=True, created_at_offset=40)
    assert await _lease(engine, "mj_remix") == ["no_niji_remix"]
    assert await _lease(engine, "niji_remix") == ["wants_niji_remix"]
    assert await _lease(engine, "auto") == []  # nothing left it fits: "both" wants both shown
