"""`Idempotency-Key` on submit routes: a retry with the same key and request gets the first task;
another request under that key is a conflict; 50 identical concurrent retries make one task."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from app.worker.retention import purge_once
from db.tables import tasks
from tests.integration.api.conftest import add_account, body, finish, no_writes
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


async def _task_count(engine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tasks)))


async def test_a_retry_returns_the_first_task_and_another_body_conflicts(api, engine) -> None:
    await add_account(engine)
    async with api() as client:
        headers = {"idempotency-key": "order-1"}
        first = body(
            await client.post("/mj/submit/imagine", json={"prompt": "a fox"}, headers=headers)
        )
        async with no_writes(engine):
            again = body(
                await client.post(
                    "/mj/submit/imagine", content=b'{ "prompt" :"a fox"}', headers=headers
                )
            )
            assert again["result"] == first["result"]
            conflict = await client.post(
                "/mj/submit/imagine", json={"prompt": "a wolf"}, headers=headers
            )
        reply = body(conflict)
        assert reply["code"] != 1 and "Idempotency-Key 'order-1'" in conflict.text
        # Discordxy: 409.
        dx = {"idempotency-key": "dx-1"}
        made = body(await client.post("/mj/imagine", json={"prompt": "owl"}, headers=dx))
        assert body(await client.post("/mj/imagine", json={"prompt": "owl"}, headers=dx)) == made
        clash = await client.post("/mj/imagine", json={"prompt": "cat"}, headers=dx)
        assert clash.status_code == 409
        # webman, and a button press: the same.
        wm = {"idempotency-key": "wm-1"}
        w1 = body(await client.post("/image/imagine", json={"prompt": "elk"}, headers=wm))
        assert body(await client.post("/image/imagine", json={"prompt": "elk"}, headers=wm)) == w1
        await finish(engine, first["result"])
        press = {"taskId": first["result"], "action": "UPSCALE", "index": 1}
        p1 = body(
            await client.post("/mj/submit/change", json=press, headers={"idempotency-key": "p"})
        )
        p2 = body(
            await client.post("/mj/submit/change", json=press, headers={"idempotency-key": "p"})
        )
        assert p1["result"] == p2["result"] and p1["code"] in (1, 22)


async def test_keys_are_per_caller_and_expire_after_a_day(api, engine) -> None:
    await add_account(engine)
    alice, bob = await add_key(engine, "alice"), await add_key(engine, "bob")
    async with api(api_secret=SECRET) as client:
        same = {"idempotency-key": "shared-name"}
        a = body(
            await client.post(
                "/mj/imagine", json={"prompt": "x"}, headers={**bearer(alice), **same}
            )
        )
        b = body(
            await client.post("/mj/imagine", json={"prompt": "x"}, headers={**bearer(bob), **same})
        )
        assert a["result"] != b["result"]  # another caller's key is another key
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE idempotency_keys SET created_at = now() - interval '25 h'")
            )
        later = body(
            await client.post(
                "/mj/imagine", json={"prompt": "y"}, headers={**bearer(alice), **same}
            )
        )
        assert later["code"] == 0 and later["result"] not in (a["result"], b["result"])


async def test_a_bad_idempotency_key_is_refused(api, engine) -> None:
    async with api() as client, no_writes(engine):
        reply = await client.post(
            "/mj/imagine", json={"prompt": "x"}, headers={"idempotency-key": "k" * 300}
        )
        assert reply.status_code == 400 and "Idempotency-Key" in reply.text


async def test_fifty_concurrent_identical_retries_create_one_task(api, engine) -> None:
    await add_account(engine, queue_size=1000)
    key = await add_key(engine, "retrier", daily_limit=5)
    async with api(api_secret=SECRET) as client:
        headers = {**bearer(key), "idempotency-key": "burst"}
        replies = await asyncio.gather(
            *(
                client.post("/mj/submit/imagine", json={"prompt": "one fox"}, headers=headers)
                for _ in range(50)
            )
        )
    results = {body(r)["result"] for r in replies}
    assert len(results) == 1 and None not in results, {r.text for r in replies}
    assert await _task_count(engine) == 1
    async with engine.connect() as conn:  # one task counted against the quota, not fifty
        assert await conn.scalar(text("SELECT tasks_total FROM api_keys")) == 1


async def test_retention_forgets_keys_older_than_a_day(api, engine) -> None:
    await add_account(engine)
    async with api() as client:
        for name in ("old", "new"):
            headers = {"idempotency-key": name}
            await client.post("/mj/imagine", json={"prompt": name}, headers=headers)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE idempotency_keys SET created_at = now() - interval '25 h' WHERE key = 'old'"
            )
        )
    await purge_once(engine, days=30)
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT key FROM idempotency_keys"))).scalars().all()
    assert left == ["new"]
