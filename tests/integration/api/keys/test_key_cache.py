"""A web process remembers a key it just looked up (app/api/key_cache.py): a key disabled
meanwhile creates no task, reads stop within the memory's second, and a fast key's lookup
takes a few rate tokens at once while a slow key's takes one."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app.api import key_cache
from db import api_keys
from tests.integration.api.conftest import add_account, body, no_writes
from tests.integration.api.keys.helpers import SECRET, add_key, bearer


async def _bucket(engine, name: str) -> tuple[float, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT rate_tokens, rate_granted FROM api_keys WHERE name = :n"), {"n": name}
            )
        ).one()
    return float(row[0]), int(row[1])


async def test_a_key_disabled_after_its_lookup_creates_no_task_and_is_refused_soon(
    api, engine, monkeypatch
) -> None:
    monkeypatch.setattr(key_cache, "TTL_S", 0.5)
    await add_account(engine)
    key = bearer(await add_key(engine, "shop"))
    async with api(api_secret=SECRET) as client:
        first = body(await client.post("/mj/imagine", json={"prompt": "a"}, headers=key))
        assert first["code"] == 0, first
        async with engine.begin() as conn:
            await api_keys.set_enabled(conn, "shop", False)
        async with no_writes(engine):  # remembered a moment ago, refused by the admission
            refused = await client.post("/mj/imagine", json={"prompt": "b"}, headers=key)
        assert refused.status_code == 401 and "API key is disabled" in body(refused)["message"]
        await asyncio.sleep(0.6)
        read = await client.get("/mj/status", params={"taskId": first["result"]}, headers=key)
        assert read.status_code == 401  # forgotten: looked up again, refused before the route


async def test_a_fast_keys_lookup_takes_tokens_for_the_next_requests_a_slow_keys_one(
    api, engine
) -> None:
    fast = bearer(await add_key(engine, "fast", rate_per_min=60_000))  # 1,000/s: 16 at once
    slow = bearer(await add_key(engine, "slow", rate_per_min=300))  # 5/s: one at a time
    async with api(api_secret=SECRET) as client:
        for headers in (fast, slow):
            for _ in range(3):
                reply = await client.get("/mj/status", params={"taskId": "1"}, headers=headers)
                assert reply.status_code == 404
    assert (await _bucket(engine, "fast"))[1] == 16
    assert (await _bucket(engine, "slow"))[1] == 1
