"""End to end in every dialect: HTTP submit -> task -> worker -> sandbox Discord -> poll ->
follow-up action, and the callbacks sent on the way."""

from __future__ import annotations

import json

from sqlalchemy import select

from db.tables import deliveries
from tests.e2e.stack import nz_done, poll, worker
from tests.fixtures import API_FIXTURES
from tests.integration.api.conftest import body, data_url, deliveries_of

FIXTURES = API_FIXTURES


async def test_novicezk_submit_poll_action_modal(api, database_url, engine, sandbox, png) -> None:
    dooy = json.loads((FIXTURES / "dooy-client.submit-imagine.request.json").read_text())
    async with api(api_secret="k") as client, worker(database_url, engine, sandbox):
        h = {"mj-api-secret": "k"}
        reply = body(await client.post("/mj/submit/imagine", json=dooy, headers=h))
        assert reply["code"] == 1, reply
        grid, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done, headers=h)
        assert (grid["status"], grid["progress"]) == ("SUCCESS", "100%"), grid
        assert grid["imageUrl"] and grid["properties"]["finalPrompt"]
        u1 = next(
            b["customId"] for b in grid["buttons"] if "MJ::JOB::upsample::1::" in b["customId"]
        )

        image = await client.get(grid["imageUrl"].removeprefix("http://test"))
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")

        reply = body(
            await client.post(
                "/mj/submit/action", json={"taskId": grid["id"], "customId": u1}, headers=h
            )
        )
        assert reply["code"] == 1, reply
        upscale, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done, headers=h)
        assert upscale["status"] == "SUCCESS", upscale["failReason"]
        assert upscale["action"] == "UPSCALE" and upscale["imageUrl"] != grid["imageUrl"]

        zoom = next(
            (b["customId"] for b in upscale["buttons"] if "CustomZoom" in b["customId"]), None
        )
        assert zoom is not None, upscale["buttons"]
        if zoom:
            reply = body(
                await client.post(
                    "/mj/submit/action", json={"taskId": upscale["id"], "customId": zoom}, headers=h
                )
            )
            assert reply["code"] == 21, reply
            reply = body(
                await client.post(
                    "/mj/submit/modal",
                    json={"taskId": reply["result"], "prompt": f"{dooy['prompt']} --zoom 2"},
                    headers=h,
                )
            )
            assert reply["code"] == 1, reply
            zoomed, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done, headers=h)
            assert zoomed["status"] == "SUCCESS", zoomed["failReason"]

        reply = body(
            await client.post(
                "/mj/submit/change",
                json={"action": "VARIATION", "index": 2, "taskId": grid["id"]},
                headers=h,
            )
        )
        assert reply["code"] == 1, reply
        variation, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done, headers=h)
        assert variation["status"] == "SUCCESS", variation["failReason"]

        reply = body(
            await client.post("/mj/submit/describe", json={"base64": data_url(png)}, headers=h)
        )
        described, _ = await poll(client, f"/mj/task/{reply['result']}/fetch", nz_done, headers=h)
        assert described["status"] == "SUCCESS", described["failReason"]
        assert described["properties"]["finalPrompt"]

        listed = body(
            await client.post(
                "/mj/task/list-by-condition", json={"ids": [int(grid["id"])]}, headers=h
            )
        )
        assert listed[0]["status"] == "SUCCESS"


async def test_webman_walks_statuses_and_callbacks_match(
    api, database_url, engine, sandbox
) -> None:
    async with api() as client, worker(database_url, engine, sandbox):
        reply = body(
            await client.post(
                "/image/imagine",
                json={"prompt": "a small cat", "notifyUrl": "http://hooks.example/x"},
            )
        )
        task_id = reply["taskId"]
        done, seen = await poll(
            client,
            "/task/fetch",
            lambda r: r["data"]["status"] in ("FINISHED", "FAILED"),
            params={"taskId": task_id},
        )
        assert done["data"]["status"] == "FINISHED", done["data"]["failReason"]
        walk = [s["data"]["status"] for s in seen]
        order = ["PENDING", "STARTED", "SUBMITTED", "RUNNING", "FINISHED"]
        assert [order.index(s) for s in walk] == sorted(order.index(s) for s in walk), walk
        custom_id = done["data"]["buttons"][0][0]["custom_id"]
        reply = body(
            await client.post("/image/action", json={"taskId": task_id, "customId": custom_id})
        )
        assert reply["code"] == 0, reply
        upscale, _ = await poll(
            client,
            "/task/fetch",
            lambda r: r["data"]["status"] in ("FINISHED", "FAILED"),
            params={"taskId": reply["taskId"]},
        )
        assert upscale["data"]["status"] == "FINISHED", upscale["data"]["failReason"]
        final = (await client.get("/task/fetch", params={"taskId": task_id})).content
    rows = await deliveries_of(engine, task_id)
    statuses = [json.loads(r["payload"])["status"] for r in rows]
    assert statuses[0] == "PENDING" and statuses[-1] == "FINISHED"
    assert final == b'{"code":0,"msg":"success","data":' + rows[-1]["payload"] + b"}"


async def test_discordxy_imagine_change_status(api, database_url, engine, sandbox) -> None:
    async with api() as client, worker(database_url, engine, sandbox):
        reply = body(await client.post("/mj/imagine", json={"prompt": "a small cat"}))
        done = lambda r: r["result"]["status"] in ("Success", "Failed", "Timeout")  # noqa: E731
        grid, _ = await poll(client, "/mj/status", done, params={"taskId": reply["result"]})
        assert grid["result"]["status"] == "Success", grid
        reply = body(
            await client.post("/mj/change", json={"taskId": reply["result"], "action": "U1"})
        )
        assert reply["code"] == 0, reply
        upscale, _ = await poll(client, "/mj/status", done, params={"taskId": reply["result"]})
        assert upscale["result"]["status"] == "Success", upscale
        assert upscale["result"]["action"] == "Upsample"
        assert upscale["result"]["params"]["index"] == "1"


def same_to_a_receiver(before: bytes, after: bytes) -> bool:
    """The same status, progress, preview and result: only timestamps or Discord ids differ."""

    def visible(payload: bytes) -> tuple:
        task = json.loads(payload)
        task = task.get("result", task) if "code" in task else task  # Discordxy's envelope
        return tuple(
            json.dumps(task.get(key), sort_keys=True)
            for key in ("status", "progress", "imageUrl", "videoUrl", "buttons", "failReason")
        )

    return before == after or visible(before) == visible(after)


async def test_an_imagine_sends_a_callback_only_when_its_body_changes(
    api, database_url, engine, sandbox
) -> None:
    """Issue 13: a callback body identical to the task's previous one is not queued again; the
    final state's callback always is. Checked for each dialect's body."""
    hook = "http://hooks.example/cb"
    async with api() as client, worker(database_url, engine, sandbox):
        submitted = {
            "novicezk": body(
                await client.post(
                    "/mj/submit/imagine", json={"prompt": "a red fox", "notifyHook": hook}
                )
            )["result"],
            "webman": body(
                await client.post("/image/imagine", json={"prompt": "a red fox", "notifyUrl": hook})
            )["taskId"],
            "discordxy": body(
                await client.post("/mj/imagine", json={"prompt": "a red fox", "notifyUrl": hook})
            )["result"],
        }
        for dialect, task_id in submitted.items():
            final, _ = await poll(
                client, f"/mj/task/{task_id}/fetch", nz_done, headers={"x-dialect": dialect}
            )
            assert final["status"] == "SUCCESS", (dialect, final)
    async with engine.connect() as conn:
        for dialect, task_id in submitted.items():
            rows = (
                await conn.execute(
                    select(deliveries.c.seq, deliveries.c.payload)
                    .where(deliveries.c.task_id == task_id)
                    .order_by(deliveries.c.seq)
                )
            ).all()
            payloads = [bytes(r.payload) for r in rows]
            assert len(payloads) >= 2, dialect
            repeats = [
                n
                for n in range(1, len(payloads))
                if same_to_a_receiver(payloads[n - 1], payloads[n])
            ]
            assert repeats == [], (dialect, [json.loads(p) for p in payloads])
            last = json.loads(payloads[-1])
            status = (last.get("result") or last).get("status")
            assert status in ("SUCCESS", "FINISHED", "Success"), (dialect, last)
