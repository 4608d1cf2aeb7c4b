"""Account state, speed modes and remix through the worker and the sandbox (issue 16).

Real Postgres, the sandbox over real sockets: the worker reads each account's /info and
/settings, switches an account's mode for a task that needs it, keeps an account out of fast
time serving relax while fast tasks go elsewhere (none lost), and answers remix modals or leaves
the task waiting for the client's modal submit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.task import PINNED_ACCOUNT, Task
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import account_state
from db.tasks import list_task_events
from tests.stack import running_worker, wait_for_status

WAIT_S = 30.0


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="instant", seed=7) as sb:
        yield sb


async def _imagine(engine: AsyncEngine, task_id: str, prompt: str, **fields: Any) -> Task:
    task = Task(id=task_id, dialect="novicezk", action="IMAGINE", prompt=prompt, **fields)
    return await taskstore.create_task(engine, task)


async def _state(engine: AsyncEngine, account_id: str) -> Any:
    async with engine.connect() as conn:
        return await account_state.get_account_state(conn, account_id)


async def _until(check: Any, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _all_read(engine: AsyncEngine, sandbox: Sandbox) -> None:
    """Both accounts' /info and /settings stored (the worker reads them at start)."""

    async def read() -> bool:
        states = [await _state(engine, a.channel_id) for a in sandbox.accounts]
        return all(s["state_read_at"] and s["settings"] and s["info"] for s in states)

    await _until(read, "the accounts' state")


async def test_state_is_read_at_start_and_a_relax_task_switches_an_account(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        await _all_read(engine, sandbox)
        first = await _state(engine, sandbox.accounts[0].channel_id)
        assert (first["job_mode"], first["remix"], first["fast_exhausted"]) == (
            "fast",
            False,
            False,
        )
        assert first["fast_minutes_left"] > 0 and "hours" in first["fast_time_remaining"]
        assert first["subscription"] and first["queued_jobs"] == 0 and first["running_jobs"] == 0
        assert "Visibility Mode" in first["info"] and first["settings"].get("Fast mode") is True

        await _imagine(engine, "2000000000000001", "a quiet harbour", request_mode="relax")
        relaxed = await wait_for_status(engine, "2000000000000001", "SUCCESS", "FAILURE")
        assert relaxed.status == "SUCCESS", relaxed.fail_reason
        assert relaxed.mode == "relax"  # the bot's final says (relaxed)
        account = next(a for a in sandbox.accounts if a.channel_id == relaxed.account_id)
        assert sandbox.core.directory.states[account.user_id].mode == "relax"
        assert (await _state(engine, account.channel_id))["job_mode"] == "relax"

        # A second relax task goes to the account already in relax; a fast one to the other.
        await _imagine(engine, "2000000000000002", "a quiet harbour at dusk", request_mode="relax")
        await _imagine(engine, "2000000000000003", "a busy harbour", request_mode="fast")
        again = await wait_for_status(engine, "2000000000000002", "SUCCESS", "FAILURE")
        fast = await wait_for_status(engine, "2000000000000003", "SUCCESS", "FAILURE")
    assert again.status == fast.status == "SUCCESS"
    assert again.account_id == relaxed.account_id and again.mode == "relax"
    assert fast.account_id != relaxed.account_id and fast.mode == "fast"
    relax_switches = [s for s in sandbox.submissions if s.command == "relax"]
    assert len(relax_switches) == 1, "the account in relax was not switched again"


async def test_an_account_out_of_fast_time_serves_relax_and_loses_no_task(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    poor, rich = sandbox.accounts
    async with running_worker(database_url, engine, account_state_refresh_s=3600):
        await _all_read(engine, sandbox)
        # The poor account runs out after the worker read its fast time: it only learns it
        # from "Credits exhausted".
        await sandbox.inject_fault("fast_time", account=poor.user_id, minutes=0)
        ids = [f"21000000000000{n:02d}" for n in range(6)]
        for n, task_id in enumerate(ids):
            await _imagine(engine, task_id, f"a lighthouse number {n}", request_mode="fast")
        done = [await wait_for_status(engine, i, "SUCCESS", "FAILURE") for i in ids]
        assert all(t.status == "SUCCESS" for t in done), [t.fail_reason for t in done]
        assert {t.account_id for t in done} == {rich.channel_id}
        assert {t.mode for t in done} == {"fast"}

        poor_state = await _until(
            lambda: _exhausted(engine, poor.channel_id), "the account marked out of fast time"
        )
        assert poor_state["fast_exhausted"] is True
        # Relax work still runs there: pin one to the poor account through its filter.
        await _imagine(
            engine, "2100000000000010", "a lighthouse in fog", filter_account_id=poor.channel_id
        )
        relaxed = await wait_for_status(engine, "2100000000000010", "SUCCESS", "FAILURE")
        assert relaxed.status == "SUCCESS", relaxed.fail_reason
        assert (relaxed.account_id, relaxed.mode) == (poor.channel_id, "relax")
        # A fast task that can only run there waits: not failed, not lost.
        await _imagine(
            engine,
            "2100000000000011",
            "a fast lighthouse",
            request_mode="fast",
            filter_account_id=poor.channel_id,
        )
        await asyncio.sleep(1.5)
        waiting = await taskstore.get_task(engine, "2100000000000011")
    assert waiting is not None and waiting.status == "PENDING"
    requeued = [
        e for task_id in ids for e in await _events(engine, task_id) if e["kind"] == "requeued"
    ]
    assert requeued, "a fast task met the exhausted account and went back to the queue"


async def _exhausted(engine: AsyncEngine, account_id: str) -> Any:
    state = await _state(engine, account_id)
    return state if state["fast_exhausted"] else None


async def _events(engine: AsyncEngine, task_id: str) -> list[Any]:
    async with engine.connect() as conn:
        return list(await list_task_events(conn, task_id))


def _variation(task_id: str, parent: Task, **fields: Any) -> Task:
    return Task(
        id=task_id,
        dialect="novicezk",
        action="VARIATION",
        parent_id=parent.id,
        account_id=parent.account_id,
        prompt=parent.prompt,
        params={"index": 1},
        **fields,
    )


async def test_remix_auto_submits_or_waits_for_the_client(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    for account in sandbox.accounts:
        sandbox.core.directory.states[account.user_id].remix = True
    async with running_worker(database_url, engine):
        await _imagine(engine, "2200000000000001", "a paper boat")
        grid = await wait_for_status(engine, "2200000000000001", "SUCCESS", "FAILURE")
        assert grid.status == "SUCCESS", grid.fail_reason

        await taskstore.create_task(engine, _variation("2200000000000002", grid))
        auto = await wait_for_status(engine, "2200000000000002", "SUCCESS", "FAILURE", "MODAL")
        assert auto.status == "SUCCESS", auto.fail_reason
        assert auto.prop("remix") is True and auto.prop("variationStrength") in ("strong", "subtle")

        await taskstore.create_task(engine, _variation("2200000000000003", grid, remix_auto=False))
        held = await wait_for_status(engine, "2200000000000003", "MODAL", "SUCCESS", "FAILURE")
        assert held.status == "MODAL"
        assert held.final_prompt == grid.prompt and held.prop("finalPrompt") == grid.prompt
        assert held.account_id is None and held.params[PINNED_ACCOUNT] == grid.account_id

        # The client confirms with a new prompt (what /mj/submit/modal records).
        await taskstore.record_change(
            engine,
            held.id,
            {
                "status": "PENDING",
                "prompt": "a paper boat on a river",
                "params": {**held.params, "modalPrompt": "a paper boat on a river"},
                "account_id": held.params[PINNED_ACCOUNT],
            },
            kind="modal_submitted",
        )
        confirmed = await wait_for_status(engine, held.id, "SUCCESS", "FAILURE")
    assert confirmed.status == "SUCCESS", confirmed.fail_reason
    assert confirmed.prop("remix") is True
    assert "a paper boat on a river" in (confirmed.final_prompt or "")


async def test_the_operators_mode_and_remix_wishes_are_applied_while_running(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        await _all_read(engine, sandbox)
        async with engine.begin() as conn:
            for account in sandbox.accounts:
                await account_state.set_account_controls(
                    conn, account.channel_id, mode="relax", remix_wanted=True
                )
        # Remix is toggled on idle accounts, and read back from the bot's reply.
        for account in sandbox.accounts:

            async def remix_on(account_id: str = account.channel_id) -> bool:
                return bool((await _state(engine, account_id))["remix"])

            await _until(remix_on, "remix turned on")
            assert sandbox.core.directory.states[account.user_id].remix is True
        # A task that asks no mode runs in the new default mode.
        await _imagine(engine, "2300000000000001", "a sleepy cat")
        plain = await wait_for_status(engine, "2300000000000001", "SUCCESS", "FAILURE")
    assert plain.status == "SUCCESS", plain.fail_reason
    assert plain.mode == "relax"
    toggles = [s for s in sandbox.submissions if s.command == "prefer"]
    assert len(toggles) == len(sandbox.accounts), "each account toggled once"


async def test_with_the_fallback_a_fast_task_runs_in_relax_when_no_account_has_fast_time(
    database_url: str, engine: AsyncEngine
) -> None:
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=8) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        await sb.inject_fault("fast_time", account=0, minutes=0)
        async with running_worker(database_url, engine, fast_fallback_relax=True):
            # The flag in the prompt would win over the account's mode: it is rewritten too.
            await _imagine(engine, "2400000000000001", "a comet --fast", request_mode="fast")
            task = await wait_for_status(engine, "2400000000000001", "SUCCESS", "FAILURE")
    assert task.status == "SUCCESS", task.fail_reason
    assert task.mode == "relax" and task.prompt == "a comet --fast"
    (submitted,) = [e for e in await _events(engine, task.id) if e["kind"] == "submitted"]
    assert submitted["data"]["mode"] == "relax" and "relax" in submitted["data"]["note"]
    assert [s.command for s in sb.submissions if s.command in ("fast", "relax")] == ["relax"]
