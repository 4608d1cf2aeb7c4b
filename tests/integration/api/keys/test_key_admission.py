"""Queue full for a key limited to some accounts: its accounts' queues decide, not the others'."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.api.conftest import add_account, body
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


async def _tasks(engine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM tasks")))


async def _fill(engine, account_id: str, running: int, pending: int) -> None:
    """Put tasks on `account_id`: `running` holding its slots, `pending` pinned to it."""
    async with engine.begin() as conn:
        for n, status in enumerate(["RUNNING"] * running + ["PENDING"] * pending):
            await conn.execute(
                text(
                    "INSERT INTO tasks (id, dialect, action, status, account_id)"
                    " VALUES (:id, 'novicezk', 'IMAGINE', :status, :account)"
                ),
                {"id": f"{account_id}-{n}", "status": status, "account": account_id},
            )


async def _imagine(client, key: str) -> dict:
    reply = await client.post(
        "/mj/submit/imagine", json={"prompt": "a fox", "state": ""}, headers=bearer(key)
    )
    return body(reply)


async def test_a_key_is_full_when_its_accounts_are_though_others_have_room(api, engine) -> None:
    for account_id in ("acct-a", "acct-b", "acct-c"):
        await add_account(engine, account_id, concurrency=1, queue_size=1)
    customer = await add_key(engine, "customer", accounts=["acct-a", "acct-b"])
    anyone = await add_key(engine, "anyone")
    await _fill(engine, "acct-a", running=1, pending=1)
    await _fill(engine, "acct-b", running=1, pending=0)
    async with api(api_secret=SECRET) as client:
        # acct-b has one place in its queue left: the key's next task takes it (2 ahead of it)
        first = await _imagine(client, customer)
        assert first["code"] == 22, first
        before = await _tasks(engine)
        full = await _imagine(client, customer)
        assert full["code"] == 23 and full["description"] == "队列已满，请稍后尝试", full
        assert await _tasks(engine) == before  # refused: nothing written
        # acct-c has room: a key without accounts (and the operator) are still accepted (queued
        # behind the pending tasks every account may take)
        assert (await _imagine(client, anyone))["code"] == 22
        assert (await _imagine(client, SECRET))["code"] == 22
        assert await _tasks(engine) == before + 2


async def test_a_key_is_accepted_when_its_accounts_have_room_though_others_are_full(
    api, engine
) -> None:
    for account_id in ("acct-a", "acct-b"):
        await add_account(engine, account_id, concurrency=1, queue_size=1)
    customer = await add_key(engine, "customer", accounts=["acct-b"])
    other = await add_key(engine, "other", accounts=["acct-a"])
    await _fill(engine, "acct-a", running=1, pending=1)
    async with api(api_secret=SECRET) as client:
        assert (await _imagine(client, other))["code"] == 23
        first = await _imagine(client, customer)
        assert first["code"] == 1, first  # acct-b is idle
        # the key's own pending task (on no account yet) is in acct-b's queue: the next waits
        second = await _imagine(client, customer)
        assert second["code"] == 22 and second["properties"]["numberOfQueues"] == 1, second
        assert (await _imagine(client, customer))["code"] == 23


async def test_an_account_filter_outside_the_keys_accounts_is_refused(api, engine) -> None:
    for account_id in ("acct-a", "acct-b"):
        await add_account(engine, account_id)
    customer = await add_key(engine, "customer", accounts=["acct-a"])
    async with api(api_secret=SECRET) as client:
        reply = await client.post(
            "/mj/submit/imagine",
            json={"prompt": "a fox", "accountFilter": {"instanceId": "acct-b"}},
            headers=bearer(customer),
        )
    refused = body(reply)
    assert refused["code"] == 3, refused
    assert "not one of the accounts of API key customer" in refused["description"]
    assert await _tasks(engine) == 0
