"""An idle runner that finds nothing to lease spends one transaction, not two (app/worker/runner.py:
the claim in the account's mode and the one that would switch it share the transaction)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.sandbox import start_sandbox
from app.worker.link import open_link
from app.worker.ownership import OwnedAccount
from app.worker.runner import AccountRunner
from app.worker.sandbox_accounts import register_sandbox_accounts
from app.worker.wakeup import Wakeup
from db import accounts as account_queries
from db import leasing


async def test_an_idle_lease_that_finds_nothing_is_one_transaction(
    engine: AsyncEngine, monkeypatch
) -> None:
    claims: list[bool] = []
    real = leasing.lease_tasks

    async def counted(conn, **kwargs):
        claims.append(kwargs["switch"])
        return await real(conn, **kwargs)

    monkeypatch.setattr(leasing, "lease_tasks", counted)
    async with start_sandbox(port=0, accounts=1, speed="instant", seed=9) as sb:
        await register_sandbox_accounts(engine, sb.accounts, sb.base_url)
        async with engine.begin() as conn:
            [row] = await account_queries.claim_accounts(conn, "w", 30, 1)
        account = OwnedAccount(row=row, owner="w", fence=int(row["fence"]))
        async with open_link(row, "http://unused.invalid/api/v9") as link:
            runner = AccountRunner(account, link, engine, wakeup=Wakeup(), poll_s=60)
            begun: list[object] = []

            def on_begin(conn: object) -> None:
                begun.append(conn)

            event.listen(engine.sync_engine, "begin", on_begin)
            try:
                assert await runner._lease(1) == []
            finally:
                event.remove(engine.sync_engine, "begin", on_begin)
    assert claims == [False, True]  # both claims ran: in its mode, then one to switch for
    assert len(begun) == 1
