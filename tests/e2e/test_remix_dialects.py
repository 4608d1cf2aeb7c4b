"""Issue 16: with Remix on, a V1 press through every dialect completes. novicezk's code-21 path
(the client confirms the prompt) is tested in tests/integration/api/test_trueai_stack.py; here
the clients that have no modal route (Discordxy, webman) and novicezk with the account's
auto-submit: the worker answers the remix modal with the task's prompt, and the bot's final
message says "Remix"."""

from __future__ import annotations

from app import taskstore
from app.sandbox import Sandbox
from tests.e2e.stack import nz_done, poll, worker
from tests.integration.api.conftest import body


def remix_on(sandbox: Sandbox) -> None:
    for account in sandbox.accounts:
        sandbox.core.directory.states[account.user_id].remix = True


async def remixed(engine, task_id: str) -> None:
    task = await taskstore.get_task(engine, task_id)
    assert task is not None and task.status == "SUCCESS", task
    assert task.prop("remix") is True, task.properties  # the bot ran it through the remix modal


async def test_discordxy_v1_with_remix_on(api, database_url, engine, sandbox) -> None:
    remix_on(sandbox)
    async with api() as client, worker(database_url, engine, sandbox):
        grid_id = body(await client.post("/mj/imagine", json={"prompt": "a lighthouse"}))["result"]
        done = lambda r: r["result"]["status"] in ("Success", "Failed", "Timeout")  # noqa: E731
        grid, _ = await poll(client, "/mj/status", done, params={"taskId": grid_id})
        assert grid["result"]["status"] == "Success", grid
        reply = body(await client.post("/mj/change", json={"taskId": grid_id, "action": "V1"}))
        assert reply["code"] == 0, reply
        variation, _ = await poll(client, "/mj/status", done, params={"taskId": reply["result"]})
        assert variation["result"]["status"] == "Success", variation
    await remixed(engine, reply["result"])


async def test_webman_v1_with_remix_on(api, database_url, engine, sandbox) -> None:
    remix_on(sandbox)
    finished = lambda r: r["data"]["status"] in ("FINISHED", "FAILED")  # noqa: E731
    async with api() as client, worker(database_url, engine, sandbox):
        grid_id = body(await client.post("/image/imagine", json={"prompt": "a lighthouse"}))[
            "taskId"
        ]
        grid, _ = await poll(client, "/task/fetch", finished, params={"taskId": grid_id})
        assert grid["data"]["status"] == "FINISHED", grid["data"]["failReason"]
        v1 = next(
            b["custom_id"]
            for row in grid["data"]["buttons"]
            for b in row
            if "::variation::1::" in b["custom_id"]
        )
        reply = body(await client.post("/image/action", json={"taskId": grid_id, "customId": v1}))
        assert reply["code"] == 0, reply
        variation, _ = await poll(
            client, "/task/fetch", finished, params={"taskId": reply["taskId"]}
        )
        assert variation["data"]["status"] == "FINISHED", variation["data"]["failReason"]
    await remixed(engine, reply["taskId"])


async def test_novicezk_v1_with_remix_on_and_auto_submit(
    api, database_url, engine, sandbox
) -> None:
    remix_on(sandbox)
    async with api() as client, worker(database_url, engine, sandbox):
        grid_id = body(await client.post("/mj/submit/imagine", json={"prompt": "a lighthouse"}))[
            "result"
        ]
        grid, _ = await poll(client, f"/mj/task/{grid_id}/fetch", nz_done)
        assert grid["status"] == "SUCCESS", grid["failReason"]
        v1 = next(b["customId"] for b in grid["buttons"] if "::variation::1::" in b["customId"])
        reply = body(
            await client.post("/mj/submit/action", json={"taskId": grid_id, "customId": v1})
        )
        assert reply["code"] == 1, reply  # auto-submitted: no code 21
        variation, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done)
        assert variation["status"] == "SUCCESS", variation["failReason"]
    await remixed(engine, reply["result"])
