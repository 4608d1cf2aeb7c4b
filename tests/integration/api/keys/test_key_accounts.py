"""Accounts per key: a key limited to some accounts has its tasks leased by those only."""

from __future__ import annotations

from sqlalchemy import text

from db.leasing import lease_tasks
from tests.integration.api.conftest import body
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


async def _owned_account(engine, account_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, token, guild_id, channel_id, concurrency, owner, fence,"
                " lease_expires_at) VALUES (:id, 'tok', 'g', :id, 5, 'w', 1,"
                " now() + interval '1 hour')"
            ),
            {"id": account_id},
        )


async def _lease(engine, account_id: str) -> list[str]:
    async with engine.begin() as conn:
        rows = await lease_tasks(conn, account_id=account_id, owner="w", fence=1)
    return [row["id"] for row in rows]


async def test_the_lease_honours_a_keys_accounts(api, engine) -> None:
    for account_id in ("acct-a", "acct-b"):
        await _owned_account(engine, account_id)
    customer = await add_key(engine, "customer", accounts=["acct-b"])
    anyone = await add_key(engine, "anyone")
    async with api(api_secret=SECRET) as client:
        own = body(
            await client.post("/mj/imagine", json={"prompt": "x"}, headers=bearer(customer))
        )["result"]
        free = body(await client.post("/mj/imagine", json={"prompt": "y"}, headers=bearer(anyone)))[
            "result"
        ]
    assert await _lease(engine, "acct-a") == [free]  # the customer's task is not acct-a's
    assert await _lease(engine, "acct-b") == [own]
