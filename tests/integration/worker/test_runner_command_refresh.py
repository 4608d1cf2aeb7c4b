"""A stale command version (Midjourney re-registered its commands) is refreshed and resent."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.command_index import CommandIndex
from app.domain.task import Task
from app.sandbox import start_sandbox
from app.worker.link import open_link
from app.worker.ownership import OwnedAccount
from app.worker.runner import AccountRunner
from app.worker.sandbox_accounts import register_sandbox_accounts
from app.worker.wakeup import Wakeup
from db import accounts as account_queries
from tests.stack import wait_for_status


async def test_stale_command_version_is_refreshed_once(engine: AsyncEngine) -> None:
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=8) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with engine.begin() as conn:
            [row] = await account_queries.claim_accounts(conn, "w", 30, 1)
        account = OwnedAccount(row=row, owner="w", fence=int(row["fence"]))
        async with open_link(row, "http://unused.invalid/api/v9") as link:
            index = await link.command_index()
            # What a worker holds after Midjourney re-registered its commands.
            stale = [dataclasses.replace(c, version="1000000000000000000") for c in index.commands]
            link.rest._command_index = {
                key: CommandIndex(stale, index.version) for key in link.rest._command_index
            }
            runner = AccountRunner(account, link, engine, wakeup=Wakeup(), poll_s=0.2)
            running = asyncio.create_task(runner.run())
            try:
                await taskstore.create_task(
                    engine,
                    Task(
                        id="5000000000000001",
                        dialect="webman",
                        action="IMAGINE",
                        prompt="a lantern in the fog",
                    ),
                )
                task = await wait_for_status(engine, "5000000000000001", "SUCCESS", "FAILURE")
            finally:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
    assert task.status == "SUCCESS", task.fail_reason
    # The first slash command the runner sends (its /info at start) meets the stale version,
    # which is refreshed once; every command after it, the imagine included, goes through.
    statuses = [s.status for s in sb.submissions if s.type == 2]
    assert statuses.count(400) == 1 and statuses[0] == 400, statuses
    assert [s.status for s in sb.submissions if s.command == "imagine"][-1] == 204
