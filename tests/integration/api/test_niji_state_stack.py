"""niji・journey's own account state through the whole stack (issue 17): the app, the worker and
the sandbox over real sockets, on real Postgres. The worker reads niji's /info and /settings
beside Midjourney's and keeps them apart; a niji remix press decides code 21 on niji's Remix,
a niji task's speed mode is switched with niji's own /fast /relax, and `accountFilter.nijiRemix`
picks the account whose niji Remix fits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.discord.constants import NIJI_APPLICATION_ID
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import account_state
from db.tables import accounts
from tests.stack import running_worker, wait_for_status
from tests.web import app_client


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="instant", seed=17) as sb:
        yield sb


def _reply(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


async def _states_read(engine: AsyncEngine, account_ids: list[str]) -> dict[str, Any]:
    """Wait until the worker stored both bots' /settings of every account."""
    for _ in range(600):
        async with engine.connect() as conn:
            states = {i: await account_state.get_account_state(conn, i) for i in account_ids}
        if all(
            s is not None and s["remix"] is not None and s["niji_remix"] is not None
            for s in states.values()
        ):
            return states
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never stored both bots' /settings")


async def _v1(client: Any, engine: AsyncEngine, body: dict[str, Any]) -> tuple[str, str]:
    """An imagine run to SUCCESS: its id and its V1 button."""
    submitted = _reply(await client.post("/mj/submit/imagine", json=body))
    grid = await wait_for_status(engine, submitted["result"], "SUCCESS", "FAILURE")
    assert grid.status == "SUCCESS", grid.fail_reason
    buttons = _reply(await client.get(f"/mj/task/{grid.id}/fetch"))["buttons"]
    return grid.id, next(b["customId"] for b in buttons if "::variation::1::" in b["customId"])


async def test_a_niji_remix_press_waits_on_nijis_remix_not_midjourneys(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    account = sandbox.accounts[0]
    async with engine.begin() as conn:  # one account, auto-submitting no remix modal
        await conn.execute(
            update(accounts).where(accounts.c.id != account.channel_id).values(enabled=False)
        )
        await conn.execute(update(accounts).values(remix_auto=False))
    state = sandbox.core.directory.states[account.user_id]
    state.remix = False
    state.prefs(NIJI_APPLICATION_ID).remix = True
    async with running_worker(database_url, engine), app_client(database_url) as client:
        read = (await _states_read(engine, [account.channel_id]))[account.channel_id]
        assert (read["remix"], read["niji_remix"]) == (False, True)
        niji_grid, niji_v1 = await _v1(
            client, engine, {"prompt": "a paper lantern", "botType": "NIJI_JOURNEY"}
        )
        mj_grid, mj_v1 = await _v1(client, engine, {"prompt": "a paper lantern"})

        waiting = _reply(
            await client.post("/mj/submit/action", json={"taskId": niji_grid, "customId": niji_v1})
        )
        assert waiting["code"] == 21, waiting
        assert waiting["properties"]["finalPrompt"] == "a paper lantern"
        direct = _reply(
            await client.post("/mj/submit/action", json={"taskId": mj_grid, "customId": mj_v1})
        )
        assert direct["code"] == 1, direct
        confirmed = _reply(
            await client.post(
                "/mj/submit/modal",
                json={"taskId": waiting["result"], "prompt": "a paper lantern at dusk"},
            )
        )
        assert confirmed["code"] == 1, confirmed
        niji_done = await wait_for_status(engine, waiting["result"], "SUCCESS", "FAILURE")
        mj_done = await wait_for_status(engine, direct["result"], "SUCCESS", "FAILURE")
    assert niji_done.status == mj_done.status == "SUCCESS"
    assert niji_done.bot == "niji" and "at dusk" in (niji_done.final_prompt or "")
    assert niji_done.prop("remix") is True  # niji's final said "Remix"
    assert mj_done.prop("remix") is False  # Midjourney ran it as a plain variation


async def test_a_niji_task_switches_nijis_mode_and_leaves_midjourneys(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    account = sandbox.accounts[0]
    async with engine.begin() as conn:
        await conn.execute(
            update(accounts).where(accounts.c.id != account.channel_id).values(enabled=False)
        )
    state = sandbox.core.directory.states[account.user_id]
    state.mode = "fast"
    state.prefs(NIJI_APPLICATION_ID).mode = "fast"
    async with running_worker(database_url, engine), app_client(database_url) as client:
        read = (await _states_read(engine, [account.channel_id]))[account.channel_id]
        assert (read["job_mode"], read["niji_job_mode"]) == ("fast", "fast")
        relaxed = _reply(
            await client.post(
                "/mj-relax/mj/submit/imagine", json={"prompt": "a koi pond", "botType": "niji"}
            )
        )
        task = await wait_for_status(engine, relaxed["result"], "SUCCESS", "FAILURE")
        listed = _reply(await client.get(f"/mj/account/{account.channel_id}/fetch"))
        for _ in range(200):  # niji's /info, asked again after its switch, says so
            async with engine.connect() as conn:
                stored = await account_state.get_account_state(conn, account.channel_id)
            if stored is not None and stored["niji_info"].get("Job Mode") == "Relaxed":
                break
            await asyncio.sleep(0.05)
    assert task.status == "SUCCESS", task.fail_reason
    assert (task.request_mode, task.mode) == ("relax", "relax")
    # niji switched with its own /relax; Midjourney's mode is untouched.
    assert (state.prefs(NIJI_APPLICATION_ID).mode, state.mode) == ("relax", "fast")
    assert stored is not None and (stored["niji_job_mode"], stored["job_mode"]) == ("relax", "fast")
    assert (stored["niji_info"]["Job Mode"], stored["info"]["Job Mode"]) == ("Relaxed", "Fast")
    assert (listed["nijiMode"], listed["mode"]) == ("RELAX", "FAST")


async def test_the_niji_remix_filter_picks_the_account_by_nijis_remix(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    shown, plain = sandbox.accounts
    for account, niji_remix in ((shown, True), (plain, False)):
        state = sandbox.core.directory.states[account.user_id]
        state.remix = False
        state.prefs(NIJI_APPLICATION_ID).remix = niji_remix
    async with engine.begin() as conn:
        await conn.execute(update(accounts).values(remix_auto=False))
    async with (
        running_worker(database_url, engine),
        app_client(database_url, novicezk_trueai_fields=True) as client,
    ):
        await _states_read(engine, [shown.channel_id, plain.channel_id])
        done = {}
        for wanted in (True, False) * 3:  # one at a time: both accounts idle for each
            body = {
                "prompt": "a red kite",
                "botType": "NIJI_JOURNEY",
                "accountFilter": {"nijiRemix": wanted},
            }
            submitted = _reply(await client.post("/mj/submit/imagine", json=body))
            assert submitted["code"] == 1, submitted
            task = await wait_for_status(engine, submitted["result"], "SUCCESS", "FAILURE")
            done[task.id] = (task, wanted)
        fetched = _reply(await client.get(f"/mj/task/{next(iter(done))}/fetch"))
    for task, wanted in done.values():
        assert task.status == "SUCCESS", task.fail_reason
        assert task.account_id == (shown if wanted else plain).channel_id
    assert fetched["accountFilter"] == {"nijiRemix": True}
