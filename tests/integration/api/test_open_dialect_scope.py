"""A dialect whose secret check is turned off (`MJRELAY_<DIALECT>_API_SECRET=`) on a server that
has secrets reads only tasks submitted the same way, never those of clients holding a secret."""

from __future__ import annotations

from tests.integration.api.conftest import add_account, body, finish

KEY = "the-api-secret"
WITH_KEY = {"mj-api-secret": KEY}


async def _keyed_task(client, engine) -> str:
    reply = await client.post(
        "/novicezk/mj/submit/imagine", json={"prompt": "private cat"}, headers=WITH_KEY
    )
    task_id = body(reply)["result"]
    await finish(engine, task_id)
    return str(task_id)


async def test_an_open_discordxy_reads_only_anonymous_tasks(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret=KEY, discordxy_api_secret="") as client:
        private = await _keyed_task(client, engine)
        mine = body(await client.post("/mj/imagine", json={"prompt": "a public dog"}))["result"]
        await finish(engine, mine)
        # Anonymous Discordxy: its own task yes, the secret-holder's task no (read or press).
        assert body(await client.get("/mj/status", params={"taskId": mine}))["code"] == 0
        hidden = await client.get("/mj/status", params={"taskId": private})
        assert hidden.status_code == 404 and body(hidden)["result"] is None
        pressed = await client.post("/mj/change", json={"taskId": private, "action": "U1"})
        assert body(pressed)["code"] != 0
        assert "private cat" not in pressed.text
        child = body(await client.post("/mj/change", json={"taskId": mine, "action": "U1"}))
        assert child["code"] == 0
        # The key holder still reads everything, through any dialect.
        seen = await client.get("/mj/status", params={"taskId": private}, headers=WITH_KEY)
        assert body(seen)["code"] == 0
        assert body(await client.get(f"/mj/task/{mine}/fetch", headers=WITH_KEY))["id"] == mine


async def test_an_open_novicezk_lists_only_anonymous_tasks(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret=KEY, novicezk_api_secret="") as client:
        private = body(
            await client.post("/mj/imagine", json={"prompt": "private"}, headers=WITH_KEY)
        )["result"]
        mine = body(await client.post("/novicezk/mj/submit/imagine", json={"prompt": "open"}))[
            "result"
        ]
        listed = [t["id"] for t in body(await client.get("/mj/task/list"))]
        queued = [t["id"] for t in body(await client.get("/mj/task/queue"))]
        by_ids = body(
            await client.post("/mj/task/list-by-condition", json={"ids": [private, mine]})
        )
        assert mine in listed and private not in listed
        assert mine in queued and private not in queued
        assert [t["id"] for t in by_ids] == [mine]
        assert body(await client.get(f"/mj/task/{private}/fetch")) in (None, {}, []) or (
            (await client.get(f"/mj/task/{private}/fetch")).status_code == 404
        )
        cancel = body(await client.post(f"/mj/task/{private}/cancel"))
        assert cancel["code"] != 1
        # With the key, the full list.
        full = [t["id"] for t in body(await client.get("/mj/task/list", headers=WITH_KEY))]
        assert {mine, private} <= set(full)


async def test_an_open_webman_fetches_only_anonymous_tasks(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret=KEY, webman_api_secret="") as client:
        private = await _keyed_task(client, engine)
        reply = body(await client.get("/task/fetch", params={"taskId": private}))
        assert reply["code"] != 0 and "private cat" not in str(reply)
        keyed = body(await client.get("/task/fetch", params={"taskId": private}, headers=WITH_KEY))
        assert keyed["code"] == 0


async def test_without_any_secret_everything_stays_readable(api, engine) -> None:
    async with api() as client:
        task_id = body(await client.post("/mj/imagine", json={"prompt": "a cat"}))["result"]
        fetched = body(await client.get(f"/mj/task/{task_id}/fetch"))
    assert fetched["id"] == task_id
