"""niji・journey through the whole stack (issue 17): the app, the worker and the sandbox over real
sockets, on real Postgres. A novicezk imagine with `botType: "NIJI_JOURNEY"` runs on the niji bot
(its /imagine command from the index), U1 on it clicks with niji's application id, and both
results are messages of the niji bot; with `MJRELAY_NIJI_FROM_PROMPT` a `--niji` prompt goes there
too, and an account without niji in its `bots` never takes a niji task."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.discord.constants import MJ_APPLICATION_ID, NIJI_APPLICATION_ID
from app.sandbox import Sandbox, start_sandbox
from app.worker.sandbox_accounts import register_sandbox_accounts
from db.tables import accounts
from tests.stack import running_worker, wait_for_status
from tests.web import app_client


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=1, speed="instant", seed=5) as sb:
        yield sb


def _reply(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


def _author(sandbox: Sandbox, message_id: str | None) -> str:
    [account] = sandbox.accounts
    assert message_id
    message = sandbox.core.messages.get(account.channel_id, message_id, account.user_id)
    assert message is not None
    return str(message["author"]["id"])


async def test_a_niji_imagine_and_its_u1_are_the_niji_bots(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine), app_client(database_url) as client:
        submitted = _reply(
            await client.post(
                "/mj/submit/imagine", json={"prompt": "a paper crane", "botType": "NIJI_JOURNEY"}
            )
        )
        assert submitted["code"] == 1, submitted
        grid = await wait_for_status(engine, submitted["result"], "SUCCESS", "FAILURE")
        assert grid.status == "SUCCESS", grid.fail_reason
        shown = _reply(await client.get(f"/mj/task/{grid.id}/fetch"))
        u1 = next(b["customId"] for b in shown["buttons"] if "::upsample::1::" in b["customId"])
        pressed = _reply(
            await client.post("/mj/submit/action", json={"taskId": grid.id, "customId": u1})
        )
        assert pressed["code"] == 1, pressed
        upscale = await wait_for_status(engine, pressed["result"], "SUCCESS", "FAILURE")
        fetched = _reply(await client.get(f"/mj/task/{upscale.id}/fetch"))
    assert upscale.status == "SUCCESS", upscale.fail_reason
    assert (grid.bot, upscale.bot) == ("niji", "niji")
    assert shown["botType"] == fetched["botType"] == "NIJI_JOURNEY"
    assert _author(sandbox, grid.message_id) == NIJI_APPLICATION_ID
    assert _author(sandbox, upscale.message_id) == NIJI_APPLICATION_ID
    sent = {s.nonce: s for s in sandbox.submissions if s.accepted}
    assert sent[grid.nonce].command == "imagine" and sent[upscale.nonce].custom_id == u1
    # The bot's own state: niji ran the job, Midjourney's results are untouched.
    results = sandbox.core.niji.results
    assert grid.message_hash in results and grid.message_hash not in sandbox.core.midjourney.results


async def test_a_niji_prompt_goes_to_niji_only_when_the_setting_says_so(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine):
        async with app_client(database_url, niji_from_prompt=True) as client:
            routed = _reply(
                await client.post("/mj/submit/imagine", json={"prompt": "a fox --niji 6"})
            )
            routed_task = await wait_for_status(engine, routed["result"], "SUCCESS", "FAILURE")
            shown = _reply(await client.get(f"/mj/task/{routed_task.id}/fetch"))
        async with app_client(database_url) as client:
            relaxed = _reply(
                await client.post(
                    "/mj/submit/imagine", json={"prompt": "a owl --relax", "botType": "niji"}
                )
            )
            relaxed_task = await wait_for_status(engine, relaxed["result"], "SUCCESS", "FAILURE")
            plain = _reply(
                await client.post("/mj/submit/imagine", json={"prompt": "a fox --niji 6"})
            )
            plain_task = await wait_for_status(engine, plain["result"], "SUCCESS", "FAILURE")
    assert routed_task.status == plain_task.status == "SUCCESS"
    assert shown["botType"] == "NIJI_JOURNEY"
    assert _author(sandbox, routed_task.message_id) == NIJI_APPLICATION_ID
    assert _author(sandbox, plain_task.message_id) == MJ_APPLICATION_ID
    # A niji prompt's speed flag is a mode request, as a Midjourney prompt's is.
    assert (relaxed_task.request_mode, relaxed_task.mode) == ("relax", "relax")


async def test_an_account_without_niji_leaves_niji_tasks_waiting(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> None:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with engine.begin() as conn:
        await conn.execute(update(accounts).values(bots=["mj"]))
    async with running_worker(database_url, engine), app_client(database_url) as client:
        niji = _reply(
            await client.post("/mj/submit/imagine", json={"prompt": "a crane", "botType": "niji"})
        )
        mj = _reply(await client.post("/mj/submit/imagine", json={"prompt": "a crane"}))
        done = await wait_for_status(engine, mj["result"], "SUCCESS", "FAILURE")
        waiting = _reply(await client.get(f"/mj/task/{niji['result']}/fetch"))
    assert done.status == "SUCCESS", done.fail_reason
    # Accepted (mjrelay queues durably), never taken by an account that cannot reach niji.
    assert waiting["status"] == "NOT_START" and waiting["botType"] == "NIJI_JOURNEY"
    assert len(sandbox.core.niji.results) == 0
