"""kill -9 of a worker mid-flight: another worker takes over; nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import signal
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.worker.helpers import TTL_S, crash_worker

TASKS = 12


async def _statuses(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT status, count(*) FROM tasks GROUP BY status"))
        return {row.status: int(row.count) for row in rows}


async def _registered(engine: AsyncEngine, worker_id: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(text("SELECT 1 FROM workers WHERE id = :id"), {"id": worker_id})
        return found is not None


async def _owners(engine: AsyncEngine) -> set[str | None]:
    async with engine.connect() as conn:
        return set((await conn.execute(text("SELECT owner FROM accounts"))).scalars())


async def test_kill_9_mid_flight_every_task_finishes_once(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="fast", seed=3) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        for n in range(TASKS):
            task = Task(id=f"{2000000000000000 + n}", dialect="novicezk", action="IMAGINE",
                        prompt=f"crash test number {n} a lighthouse")  # fmt: skip
            await taskstore.create_task(engine, task)

        first = crash_worker(database_url, "worker-a")
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # wait until work is really in flight
                statuses = await _statuses(engine)
                if statuses.get("RUNNING", 0) + statuses.get("SUBMITTED", 0) >= 2:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"no task got in flight: {await _statuses(engine)}")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            killed_at = time.monotonic()
            in_flight = await _statuses(engine)

            second = crash_worker(database_url, "worker-b")
            try:
                up_s = None  # when worker-b had started (its row in `workers`)
                while await _owners(engine) != {"worker-b"}:
                    if up_s is None and await _registered(engine, "worker-b"):
                        up_s = time.monotonic() - killed_at
                    assert time.monotonic() - killed_at < TTL_S + 15, "takeover too slow"
                    await asyncio.sleep(0.05)
                takeover_s = time.monotonic() - killed_at
                while (await _statuses(engine)).get("SUCCESS", 0) < TASKS:
                    statuses = await _statuses(engine)
                    assert "FAILURE" not in statuses, statuses
                    assert time.monotonic() - killed_at < 60, statuses
                    await asyncio.sleep(0.1)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(20)
        finally:
            if first.poll() is None:
                first.kill()

        imagines = [s for s in sb.submissions.accepted() if s.command == "imagine"]
        assert len(imagines) == TASKS, "a task was submitted twice (or never)"
        assert all(count == 1 for count in sb.submissions.nonce_counts().values())
    assert in_flight.get("SUCCESS", 0) < TASKS  # the kill really happened mid-flight
    # Taken over once the dead worker's lease ran out, or as soon as worker-b was up when its
    # start (a Python process's imports, slow on a loaded machine) took longer than that.
    assert takeover_s <= max(TTL_S, up_s if up_s is not None else 0.0) + 2
