"""Bot and Discord faults through the real stack: timeouts, bans, captchas, dropped sockets."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.status import TIMEOUT_REASON
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.stack import running_worker, wait_for_status


async def _imagine(engine: AsyncEngine, n: int, prompt: str) -> str:
    task_id = f"{3000000000000000 + n}"
    task = Task(id=task_id, dialect="webman", action="IMAGINE", prompt=prompt)
    await taskstore.create_task(engine, task)
    return task_id


async def _account(engine: AsyncEngine, account_id: str) -> dict:
    async with engine.connect() as conn:
        row = await conn.execute(text("SELECT * FROM accounts WHERE id = :id"), {"id": account_id})
        return dict(row.mappings().one())


async def test_dropped_final_message_fails_by_timeout_with_reason(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=4) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE accounts SET task_timeout_s = 2"))
        async with running_worker(database_url, engine):
            dropped = await _imagine(engine, 1, "a quiet harbour --sandbox-fault drop_final")
            fine = await _imagine(engine, 2, "a busy harbour")
            task = await wait_for_status(engine, dropped, "SUCCESS", "FAILURE")
            other = await wait_for_status(engine, fine, "SUCCESS", "FAILURE")
    assert task.status == "FAILURE"
    assert task.fail_reason == TIMEOUT_REASON
    assert task.progress > 0  # it was running when the final message never came
    assert other.status == "SUCCESS"


# "Credits exhausted" is not among them: an account out of fast time stays in service for relax
# (tests/integration/worker/test_account_modes.py).
@pytest.mark.parametrize(
    ("fault", "reason_part"),
    [
        pytest.param("ban", "4004", id="ban-4004"),
        pytest.param("captcha", "captcha", id="captcha"),
        pytest.param("pending_mod", "mod", id="pending-moderation"),
    ],
)
async def test_unusable_account_leaves_leasing_and_its_queue_finishes_elsewhere(
    database_url: str, engine: AsyncEngine, fault: str, reason_part: str
) -> None:
    async with start_sandbox(port=0, accounts=2, speed="fast", seed=5) as sb:
        specs = await register_sandbox_accounts(engine, sb.accounts, sb.base_url, concurrency=1)
        victim = specs[0].id
        async with running_worker(database_url, engine):
            ids = [await _imagine(engine, n, f"queue item {n} a mountain") for n in range(6)]
            while True:  # both accounts busy
                async with engine.connect() as conn:
                    busy = (
                        await conn.execute(
                            text(
                                "SELECT count(DISTINCT account_id) FROM tasks"
                                " WHERE status IN ('SUBMITTED', 'RUNNING')"
                            )
                        )
                    ).scalar_one()
                if busy == 2:
                    break
                await asyncio.sleep(0.05)
            injected = time.monotonic()
            await sb.inject_fault(fault, account=0)
            if fault != "ban":
                # The bot says so on the account's next interaction: give it one.
                ids.append(await _imagine(engine, 99, "after the captcha a valley"))
            while (await _account(engine, victim))["health"] != "disabled":
                assert time.monotonic() - injected < 10
                await asyncio.sleep(0.02)
            detected = time.monotonic()
            results = [await wait_for_status(engine, i, "SUCCESS", "FAILURE") for i in ids]
            async with engine.connect() as conn:
                leased_after = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM tasks WHERE account_id = :a"
                            " AND start_time > (extract(epoch FROM now()) * 1000 - :ms)"
                        ),
                        {"a": victim, "ms": int((time.monotonic() - detected) * 1000) - 50},
                    )
                ).scalar_one()
    account = await _account(engine, victim)
    assert account["health"] == "disabled"
    assert reason_part in (account["health_reason"] or "").lower()
    assert [t.status for t in results] == ["SUCCESS"] * len(results)
    assert leased_after == 0, "the disabled account leased again"
    if fault == "ban":
        assert detected - injected <= 1.0


async def _until_running(engine: AsyncEngine, ids: list[str]) -> None:
    for _ in range(500):
        async with engine.connect() as conn:
            running = (
                await conn.execute(
                    text("SELECT count(*) FROM tasks WHERE id = ANY(:ids) AND status = 'RUNNING'"),
                    {"ids": ids},
                )
            ).scalar_one()
        if running:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no task reached RUNNING")


async def test_resumable_disconnect_never_disables_and_work_goes_on(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="fast", seed=7) as sb:
        [spec] = await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        seen: set[str] = set()
        async with running_worker(database_url, engine):
            ids = [await _imagine(engine, 50 + n, f"a windmill number {n}") for n in range(3)]
            await _until_running(engine, ids)
            for code in (4000, 4008, 1001):  # resumable close codes, mid-job
                await sb.inject_fault("disconnect", account=0, code=code)
                for _ in range(20):
                    seen.add((await _account(engine, spec.id))["health"])
                    await asyncio.sleep(0.01)
            results = [await wait_for_status(engine, i, "SUCCESS", "FAILURE") for i in ids]
            for _ in range(100):
                if (await _account(engine, spec.id))["health"] == "ok":
                    break
                await asyncio.sleep(0.05)
        account = await _account(engine, spec.id)
    assert [t.status for t in results] == ["SUCCESS"] * 3
    assert "disabled" not in seen
    assert account["health"] == "ok" and account["enabled"]
