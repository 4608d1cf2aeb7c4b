"""Admission: novicezk's 22 (queued, N ahead) and 23 (queue full), in every dialect's words."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.api.conftest import add_account, body


async def _count(engine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM tasks"))).scalar_one())


async def test_novicezk_codes_1_then_22_with_position_then_23(api, engine) -> None:
    await add_account(engine, concurrency=2, queue_size=2)
    async with api() as client:
        replies = [
            body(await client.post("/mj/submit/imagine", json={"prompt": f"cat {n}", "state": ""}))
            for n in range(4)
        ]
        assert [r["code"] for r in replies] == [1, 1, 22, 22]
        assert [r["properties"].get("numberOfQueues") for r in replies] == [None, None, 1, 2]
        assert replies[2]["description"] == "排队中，前面还有1个任务"
        assert all(isinstance(r["result"], str) for r in replies)
        before = await _count(engine)
        full = body(await client.post("/mj/submit/imagine", json={"prompt": "cat", "state": ""}))
        assert full["code"] == 23 and full["description"] == "队列已满，请稍后尝试", full
        assert await _count(engine) == before  # the refused task is not kept

        webman = body(await client.post("/image/imagine", json={"prompt": "a dog"}))
        assert webman["code"] == 500 and webman["msg"] == "队列已满，请稍后尝试"
        discordxy = await client.post("/mj/imagine", json={"prompt": "a dog"})
        assert discordxy.status_code == 429 and body(discordxy)["code"] == 429
    assert await _count(engine) == before


async def test_without_accounts_tasks_are_accepted_and_wait(api, engine) -> None:
    async with api() as client:
        replies = [
            body(await client.post("/mj/submit/imagine", json={"prompt": f"cat {n}", "state": ""}))
            for n in range(3)
        ]
    # No account to queue behind yet: accepted as usual; an account added later picks them up.
    assert [r["code"] for r in replies] == [1, 1, 1]
    assert await _count(engine) == 3
