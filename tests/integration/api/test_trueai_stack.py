"""trueai's API through the whole stack: the app, the worker and the sandbox over real sockets,
on real Postgres (issue 16): a `/mj-relax` imagine runs in relax, a remix press waits for the
client (code 21) and runs with the prompt it sent through `/mj/submit/modal`, the trueai task
fields of fetch and callbacks carry what the worker recorded, and the admin route's wishes reach
the account."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db import account_state
from db.tables import deliveries
from tests.stack import running_worker, wait_for_status
from tests.web import app_client


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=11) as sb:
        yield sb


async def _reply(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


async def _settings_read(engine: AsyncEngine, account_id: str) -> Any:
    """The worker reads /settings at start: wait until the account's Remix state is stored."""
    for _ in range(600):
        async with engine.connect() as conn:
            state = await account_state.get_account_state(conn, account_id)
        if state is not None and state["remix"] is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never stored the account's /settings")


async def test_a_relax_prefix_runs_in_relax_and_trueai_fields_show_it(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    [account] = sandbox.accounts
    async with (
        running_worker(database_url, engine),
        app_client(database_url, novicezk_trueai_fields=True) as client,
    ):
        submitted = await _reply(
            await client.post(
                "/mj-relax/mj/submit/imagine",
                json={"prompt": "a quiet harbour", "notifyHook": "http://hooks.example/mj"},
            )
        )
        assert submitted["code"] == 1, submitted
        task = await wait_for_status(engine, submitted["result"], "SUCCESS", "FAILURE")
        assert task.status == "SUCCESS", task.fail_reason
        assert (task.request_mode, task.mode) == ("relax", "relax")
        assert sandbox.core.directory.states[account.user_id].mode == "relax"
        fetched = await client.get(f"/mj-relax/mj/task/{task.id}/fetch")
        shown = await _reply(fetched)
        listed = await _reply(await client.get(f"/mj/account/{account.channel_id}/fetch"))
    assert (shown["mode"], shown["requestMode"]) == ("RELAX", "RELAX")
    assert shown["instanceId"] == account.channel_id and shown["status"] == "SUCCESS"
    assert shown["buttons"] and shown["imageUrls"][0]["url"] == shown["imageUrl"]
    assert listed["mode"] == "RELAX" and listed["fastTimeRemaining"]
    async with engine.connect() as conn:
        payloads = list(
            (
                await conn.execute(
                    select(deliveries.c.payload)
                    .where(deliveries.c.task_id == task.id)
                    .order_by(deliveries.c.seq)
                )
            ).scalars()
        )
    assert payloads[-1] == fetched.content  # the callback body is the fetch body
    assert json.loads(payloads[-1])["mode"] == "RELAX"


async def test_a_remix_press_waits_for_the_client_and_runs_its_prompt(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    [account] = sandbox.accounts
    sandbox.core.directory.states[account.user_id].remix = True
    async with (
        running_worker(database_url, engine),
        app_client(database_url) as client,
    ):
        # The account auto-submits nothing: the operator says so through the admin route.
        changed = await _reply(
            await client.post(
                f"/mj/admin/account/{account.channel_id}/settings",
                json={"remixAutoSubmit": False},
            )
        )
        assert changed["code"] == 1, changed
        assert (await _settings_read(engine, account.channel_id))["remix"] is True
        imagine = await client.post("/novicezk/mj/submit/imagine", json={"prompt": "a boat"})
        grid_id = (await _reply(imagine))["result"]
        grid = await wait_for_status(engine, grid_id, "SUCCESS", "FAILURE")
        assert grid.status == "SUCCESS", grid.fail_reason
        buttons = (await _reply(await client.get(f"/mj/task/{grid_id}/fetch")))["buttons"]
        v1 = next(b["customId"] for b in buttons if "::variation::1::" in b["customId"])

        waiting = await _reply(
            await client.post("/mj/submit/action", json={"taskId": grid_id, "customId": v1})
        )
        assert waiting["code"] == 21, waiting
        assert waiting["properties"]["finalPrompt"] == "a boat"
        confirmed = await _reply(
            await client.post(
                "/mj/submit/modal", json={"taskId": waiting["result"], "prompt": "a boat at dawn"}
            )
        )
        assert confirmed["code"] == 1, confirmed
        done = await wait_for_status(engine, waiting["result"], "SUCCESS", "FAILURE")
    assert done.status == "SUCCESS", done.fail_reason
    assert "a boat at dawn" in (done.final_prompt or "")
    assert done.prop("remix") is True  # the bot's final said "Remix"


async def test_the_admin_routes_wishes_reach_the_account(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    [account] = sandbox.accounts
    state = sandbox.core.directory.states[account.user_id]
    assert state.remix is False
    async with (
        running_worker(database_url, engine),
        app_client(database_url) as client,
    ):
        assert (await _settings_read(engine, account.channel_id))["remix"] is False
        wished = await _reply(
            await client.post(
                f"/mj/admin/account/{account.channel_id}/settings",
                json={"mode": "RELAX", "remix": True},
            )
        )
        assert wished["code"] == 1, wished
        # Remix is toggled on by the worker (/prefer remix) and read back.
        for _ in range(600):
            shown = await _reply(await client.get(f"/mj/account/{account.channel_id}/fetch"))
            if shown["remix"] is True:
                break
            await asyncio.sleep(0.05)
        assert (shown["remix"], shown["remixWanted"]) == (True, True)
        assert state.remix is True
        # A task asking no mode runs in the account's new default.
        submitted = await _reply(
            await client.post("/novicezk/mj/submit/imagine", json={"prompt": "a calm lake"})
        )
        task = await wait_for_status(engine, submitted["result"], "SUCCESS", "FAILURE")
    assert task.status == "SUCCESS", task.fail_reason
    assert (task.request_mode, task.mode) == (None, "relax")
    toggles = [s for s in sandbox.submissions if s.command == "prefer"]
    assert len(toggles) == 1, "Remix was toggled once, not back and forth"
