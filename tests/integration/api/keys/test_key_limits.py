"""A key's limits, decided in PostgreSQL: daily and total tasks, unfinished tasks at once,
request rate; refusals in each dialect's envelope (429 + Retry-After where the dialect speaks
HTTP statuses); disabled, expired, rotated and other-dialect keys refused before the body."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.domain.keys import key_hash, new_key, shown_prefix
from db import api_keys
from tests.integration.api.conftest import add_account, body, finish, no_writes
from tests.integration.api.keys.helpers import SECRET, add_key, bearer, tasks_of, unfinished_of


async def test_a_daily_limit_refuses_the_third_submit_in_each_dialect(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret=SECRET) as client:
        for dialect in ("novicezk", "discordxy", "webman"):
            key = bearer(await add_key(engine, dialect, daily_limit=2))
            path, payload = {
                "novicezk": ("/novicezk/mj/submit/imagine", {"prompt": "a fox"}),
                "discordxy": ("/discordxy/mj/imagine", {"prompt": "a fox"}),
                "webman": ("/image/imagine", {"prompt": "a fox"}),
            }[dialect]
            for _ in range(2):
                accepted = body(await client.post(path, json=payload, headers=key))
                assert accepted["code"] in (0, 1, 22, 200), accepted
            async with no_writes(engine):
                refused = await client.post(path, json=payload, headers=key)
            reply = body(refused)
            if dialect == "novicezk":
                assert refused.status_code == 200 and reply["code"] == 23
                assert "daily limit of 2 tasks" in reply["description"]
            elif dialect == "discordxy":
                assert refused.status_code == 429 and reply["code"] == 429
                assert "daily limit of 2 tasks" in reply["message"]
                retry = int(refused.headers["retry-after"])
                assert 1 <= retry <= 86_400
            else:
                assert refused.status_code == 200 and reply["code"] == 500
                assert "daily limit of 2 tasks" in reply["msg"]
            assert len(await tasks_of(engine, dialect)) == 2


async def test_a_total_limit_counts_every_task_of_the_key(api, engine) -> None:
    await add_account(engine)
    key = bearer(await add_key(engine, "trial", total_limit=1))
    async with api(api_secret=SECRET) as client:
        first = body(await client.post("/mj/imagine", json={"prompt": "one"}, headers=key))
        await finish(engine, first["result"])
        refused = await client.post("/mj/imagine", json={"prompt": "two"}, headers=key)
        assert refused.status_code == 429 and "total limit of 1" in body(refused)["message"]
        assert "retry-after" not in refused.headers  # waiting does not help


async def test_concurrency_counts_unfinished_tasks_in_sql(api, engine) -> None:
    await add_account(engine)
    key = bearer(await add_key(engine, "single", concurrency=1))
    async with api(api_secret=SECRET) as client:
        replies = await asyncio.gather(
            *(
                client.post("/mj/imagine", json={"prompt": f"fox {i}"}, headers=key)
                for i in range(5)
            )
        )
        accepted = [r for r in replies if r.status_code == 200]
        assert len(accepted) == 1
        refused = [r for r in replies if r not in accepted]
        assert all(r.status_code == 429 and "concurrency" in r.text for r in refused), [
            r.text for r in refused
        ]
        assert await unfinished_of(engine, "single") == 1
        # Once that task has finished, the next one is admitted.
        await finish(engine, body(accepted[0])["result"])
        again = await client.post("/mj/imagine", json={"prompt": "next"}, headers=key)
        assert again.status_code == 200


async def test_the_request_rate_answers_429_with_retry_after(api, engine) -> None:
    await add_account(engine)
    key = bearer(await add_key(engine, "chatty", rate_per_min=3))
    async with api(api_secret=SECRET) as client:
        codes = [
            (await client.get("/mj/status", params={"taskId": "1"}, headers=key)).status_code
            for _ in range(3)
        ]
        assert codes == [404, 404, 404]  # allowed (and no such task)
        limited = await client.get("/mj/status", params={"taskId": "1"}, headers=key)
        assert limited.status_code == 429 and "request rate of 3/min" in body(limited)["message"]
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        # novicezk keeps HTTP 200 with code 23; the hint is in the header too.
        nz = await client.get("/mj/task/1/fetch", headers=key)
        assert body(nz)["code"] == 23 and "retry-after" in nz.headers
        # The bucket refills with time: one token every 20 s.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE api_keys SET rate_at = rate_at - interval '21 s'"))
        again = await client.get("/mj/status", params={"taskId": "1"}, headers=key)
        assert again.status_code == 404


async def test_disabled_expired_rotated_and_foreign_keys_are_refused(api, engine) -> None:
    await add_account(engine)
    disabled = await add_key(engine, "off")
    expired = await add_key(engine, "old", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    rotated = await add_key(engine, "turned")
    webman_only = await add_key(engine, "wm", dialects=["webman"])
    fresh = new_key()
    async with engine.begin() as conn:
        await api_keys.set_enabled(conn, "off", False)
        assert await api_keys.rotate(conn, "turned", key_hash(fresh), shown_prefix(fresh))
    async with api(api_secret=SECRET) as client:
        for key, reason in (
            (disabled, "API key is disabled"),
            (expired, "API key has expired"),
            (rotated, "invalid API key"),
            ("mjr_never-issued", "invalid API key"),
            (webman_only, "not allowed on the discordxy API"),
        ):
            async with no_writes(engine):
                refused = await client.post(
                    "/mj/imagine", json={"prompt": "x"}, headers=bearer(key)
                )
            assert refused.status_code == 401 and reason in body(refused)["message"], key
            nz = await client.post(
                "/novicezk/mj/submit/imagine", json={"prompt": "x"}, headers=bearer(key)
            )
            assert nz.status_code == 401
        wm = body(
            await client.post("/image/imagine", json={"prompt": "x"}, headers=bearer(webman_only))
        )
        assert wm["code"] == 0 and wm["taskId"]
        ok = await client.post("/mj/imagine", json={"prompt": "x"}, headers=bearer(fresh))
        assert ok.status_code == 200
        # Enabled again, the key works.
        async with engine.begin() as conn:
            await api_keys.set_enabled(conn, "off", True)
        back = await client.post("/mj/imagine", json={"prompt": "x"}, headers=bearer(disabled))
        assert back.status_code == 200


async def test_a_refused_key_is_refused_before_its_body_is_read(api, engine) -> None:
    disabled = await add_key(engine, "off")
    async with engine.begin() as conn:
        await api_keys.set_enabled(conn, "off", False)
    async with api(api_secret=SECRET) as client:
        huge = b'{"prompt": "' + b"x" * 3_000_000 + b'"}'
        refused = await client.post(
            "/mj/submit/imagine",
            content=huge,
            headers={**bearer(disabled), "content-type": "application/json"},
        )
        assert refused.status_code == 401
        assert refused.headers.get("connection") == "close"
