"""Two client keys on one relay: each sees and acts on its own tasks only, through every dialect,
`GET /events` and the deliveries API; the operator's secret (an admin key) sees both."""

from __future__ import annotations

import httpx
import pytest_asyncio

from app.config import Settings
from app.web import create_app
from tests.integration.api.conftest import HASH, add_account, body, finish
from tests.integration.api.keys.helpers import OPERATOR, SECRET, add_key, bearer, tasks_of
from tests.integration.dashboard.helpers import event_stream, next_event, serve_app


async def _two_finished_tasks(client, engine, alice: str, bob: str) -> tuple[str, str]:
    mine = body(
        await client.post(
            "/mj/submit/imagine",
            json={"prompt": "alice's fox", "notifyHook": "https://hooks.example.com/a"},
            headers=bearer(alice),
        )
    )["result"]
    theirs = body(
        await client.post("/mj/imagine", json={"prompt": "bob's owl"}, headers=bearer(bob))
    )["result"]
    await finish(engine, mine)
    await finish(engine, theirs)
    return str(mine), str(theirs)


async def test_each_key_sees_only_its_own_tasks_in_every_dialect(api, engine) -> None:
    await add_account(engine)
    alice, bob = await add_key(engine, "alice"), await add_key(engine, "bob")
    async with api(api_secret=SECRET) as client:
        mine, theirs = await _two_finished_tasks(client, engine, alice, bob)
        assert await tasks_of(engine, "alice") == [mine]
        assert await tasks_of(engine, "bob") == [theirs]
        a = bearer(alice)
        # novicezk: fetch, list, queue, list-by-condition, cancel, a button press.
        assert body(await client.get(f"/mj/task/{mine}/fetch", headers=a))["id"] == mine
        hidden = await client.get(f"/mj/task/{theirs}/fetch", headers=a)
        assert hidden.status_code == 404 and "owl" not in hidden.text
        assert [t["id"] for t in body(await client.get("/mj/task/list", headers=a))] == [mine]
        by_ids = await client.post(
            "/mj/task/list-by-condition", json={"ids": [mine, theirs]}, headers=a
        )
        assert [t["id"] for t in body(by_ids)] == [mine]
        assert body(await client.post(f"/mj/task/{theirs}/cancel", headers=a))["code"] == 3
        pressed = await client.post(
            "/mj/submit/action",
            json={"taskId": theirs, "customId": f"MJ::JOB::upsample::1::{HASH}"},
            headers=a,
        )
        assert body(pressed)["code"] == 3 and "owl" not in pressed.text
        # Discordxy: status and change.
        assert (
            await client.get("/mj/status", params={"taskId": theirs}, headers=a)
        ).status_code == 404
        change = await client.post("/mj/change", json={"taskId": theirs, "action": "U1"}, headers=a)
        assert change.status_code == 404
        own_change = await client.post(
            "/mj/change", json={"taskId": mine, "action": "U1"}, headers=a
        )
        assert body(own_change)["code"] == 0
        # webman: fetch and a button press.
        fetched = body(await client.get("/task/fetch", params={"taskId": theirs}, headers=a))
        assert fetched["code"] != 0 and "owl" not in str(fetched)
        action = await client.post(
            "/image/action", json={"taskId": theirs, "action": "upscale1"}, headers=a
        )
        assert body(action)["code"] != 0 and "owl" not in action.text
        # The deliveries API: another key's task reads as missing; its own answers.
        assert (await client.get(f"/api/tasks/{theirs}/deliveries", headers=a)).status_code == 404
        own = await client.get(f"/api/tasks/{mine}/deliveries", headers=a)
        assert own.status_code == 200 and own.json()["deliveries"]
        # Bob sees his, not Alice's (and not the child Alice pressed).
        b_list = [t["id"] for t in body(await client.get("/mj/task/list", headers=bearer(bob)))]
        assert b_list == [theirs]
        # The operator's secret acts as an admin key: everything.
        everything = [t["id"] for t in body(await client.get("/mj/task/list", headers=OPERATOR))]
        assert {mine, theirs} <= set(everything)
        assert (await client.get(f"/mj/task/{theirs}/fetch", headers=OPERATOR)).status_code == 200


async def test_an_admin_key_sees_every_task(api, engine) -> None:
    await add_account(engine)
    alice, root = await add_key(engine, "alice"), await add_key(engine, "root", admin=True)
    async with api(api_secret=SECRET) as client:
        mine = body(
            await client.post("/mj/submit/imagine", json={"prompt": "a fox"}, headers=bearer(alice))
        )["result"]
        seen = await client.get(f"/mj/task/{mine}/fetch", headers=bearer(root))
        assert seen.status_code == 200 and seen.json()["id"] == mine


@pytest_asyncio.fixture(loop_scope="session")
async def base_url(database_url: str):
    async with serve_app(create_app(Settings(api_secret=SECRET), database_url)) as url:
        yield url


async def test_events_stream_a_keys_own_tasks_only(base_url, engine) -> None:
    await add_account(engine)
    alice, bob = await add_key(engine, "alice"), await add_key(engine, "bob")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        refused = await client.get("/events", headers=bearer("mjr_not-a-key"))
        assert refused.status_code == 401

        async def submit(key: str, prompt: str) -> str:
            reply = await client.post("/mj/imagine", json={"prompt": prompt}, headers=bearer(key))
            return str(body(reply)["result"])

        async with event_stream(base_url, **bearer(alice)) as lines:
            theirs = await submit(bob, "owl")
            await finish(engine, theirs)
            mine = await submit(alice, "fox")
            await finish(engine, mine)
            seen = [await next_event(lines)]
            while seen[-1].data["status"] != "SUCCESS":
                seen.append(await next_event(lines))
        assert {e.data["id"] for e in seen} == {mine}
        # Alice asking for one of Bob's tasks by id hears nothing of it.
        other = await submit(bob, "another owl")
        async with event_stream(base_url, f"?task_id={other}", **bearer(alice)) as lines:
            await finish(engine, other)
            try:
                leaked = await next_event(lines, timeout_s=1.5)
            except TimeoutError:
                leaked = None
        assert leaked is None
