"""novicezk / plus contract: spec §C, §E and the acceptance calls of §D.3 (1)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.taskstore import get_task
from db import tasks as q
from db.tables import task_files
from tests.fixtures import API_FIXTURES
from tests.integration.api.conftest import (
    ACCOUNT,
    add_account,
    body,
    data_url,
    deliveries_of,
    finish,
    no_writes,
    upscale_buttons,
)

FIXTURES = API_FIXTURES
SECRET = {"mj-api-secret": "s3cret"}


def dooy_imagine() -> dict:
    return json.loads((FIXTURES / "dooy-client.submit-imagine.request.json").read_text())


async def _imagine(client, engine, **extra) -> str:
    response = await client.post(
        "/mj/submit/imagine", json={**dooy_imagine(), **extra}, headers=SECRET
    )
    assert response.status_code == 200, response.text
    reply = body(response)
    assert reply["code"] == 1 and isinstance(reply["result"], str), reply
    return reply["result"]


async def test_acceptance_submit_poll_action_modal_list(api, engine) -> None:
    await add_account(engine)
    async with api(api_secret="s3cret") as client:
        task_id = await _imagine(client, engine)
        assert len(task_id) == 16
        polled = body(await client.get(f"/mj/task/{task_id}/fetch", headers=SECRET))
        assert polled["status"] == "NOT_START" and polled["progress"] is None
        await finish(engine, task_id)
        polled = body(await client.get(f"/mj/task/{task_id}/fetch", headers=SECRET))
        assert (polled["status"], polled["progress"]) == ("SUCCESS", "100%")
        assert polled["imageUrl"].startswith("http://test/files/" + task_id + "/")
        assert polled["properties"]["finalPrompt"] == "a small cat"
        custom_ids = [b["customId"] for b in polled["buttons"]]
        u1 = next(c for c in custom_ids if "MJ::JOB::upsample::1::" in c)
        assert {"customId", "emoji", "label", "type", "style"} == set(polled["buttons"][0])
        assert polled["buttons"][4]["emoji"] == "🔄"

        reply = body(
            await client.post(
                "/mj/submit/action", json={"taskId": task_id, "customId": u1}, headers=SECRET
            )
        )
        assert reply["code"] == 1, reply
        upscale = await get_task(engine, reply["result"])
        assert upscale.parent_id == task_id and upscale.account_id == ACCOUNT
        assert upscale.action == "UPSCALE" and upscale.status == "PENDING"
        assert upscale.params["customId"] == u1
        assert upscale.params["messageId"] == "1300000000000000301"
        assert upscale.params["messageHash"] and upscale.params["index"] == 1

        await finish(engine, upscale.id, buttons=upscale_buttons())
        zoom_id = next(
            b["customId"]
            for b in body(await client.get(f"/mj/task/{upscale.id}/fetch", headers=SECRET))[
                "buttons"
            ]
            if b["customId"].startswith("MJ::CustomZoom::")
        )
        reply = body(
            await client.post(
                "/mj/submit/action",
                json={"taskId": upscale.id, "customId": zoom_id},
                headers=SECRET,
            )
        )
        assert reply["code"] == 21 and reply["description"] == "窗口等待", reply
        modal_task = reply["result"]
        waiting = await get_task(engine, modal_task)
        assert waiting.account_id is None  # no slot of the account's cap while the client types
        assert waiting.params["_accountId"] == ACCOUNT
        assert (
            body(await client.get(f"/mj/task/{modal_task}/fetch", headers=SECRET))["status"]
            == "MODAL"
        )
        reply = body(
            await client.post(
                "/mj/submit/modal",
                json={"taskId": modal_task, "prompt": "a small cat --zoom 2"},
                headers=SECRET,
            )
        )
        assert reply["code"] == 1, reply
        zoom = await get_task(engine, modal_task)
        assert zoom.status == "PENDING" and zoom.params["modalPrompt"] == "a small cat --zoom 2"
        assert zoom.action == "ZOOM_CUSTOM" and zoom.account_id == ACCOUNT

        listed = body(
            await client.post(
                "/mj/task/list-by-condition", json={"ids": [int(task_id), "nope"]}, headers=SECRET
            )
        )
        assert [t["id"] for t in listed] == [task_id]

        reply = body(
            await client.post(
                "/mj/submit/change",
                json={"action": "UPSCALE", "index": 1, "taskId": task_id},
                headers=SECRET,
            )
        )
        assert reply["code"] == 1, reply

        response = await client.post(
            "/mj/submit/imagine", json=dooy_imagine(), headers={"mj-api-secret": "no"}
        )
        assert response.status_code == 401 and body(response)["code"] == 401
        response = await client.get(f"/mj/task/{task_id}/fetch")
        assert response.status_code == 401
        bearer = {"Authorization": "Bearer s3cret"}
        assert (await client.get(f"/mj/task/{task_id}/fetch", headers=bearer)).status_code == 200


async def test_callback_body_is_the_fetch_body(api, engine) -> None:
    async with api() as client:
        task_id = await _imagine(client, engine, notifyHook="http://hooks.example/mj", state="s1")
        await finish(engine, task_id, account=None)
        fetched = (await client.get(f"/mj/task/{task_id}/fetch")).content
    rows = await deliveries_of(engine, task_id)
    # PENDING, SUBMITTED, IN_PROGRESS, SUCCESS; STARTED (NOT_START again) shows nothing new.
    assert [json.loads(r["payload"])["status"] for r in rows] == [
        "NOT_START",
        "SUBMITTED",
        "IN_PROGRESS",
        "SUCCESS",
    ]
    assert rows[-1]["payload"] == fetched
    assert json.loads(fetched)["properties"]["notifyHook"] == "http://hooks.example/mj"
    assert json.loads(fetched)["state"] == "s1"
    assert rows[-1]["url"] == "http://hooks.example/mj" and rows[-1]["dialect"] == "novicezk"


async def test_other_submit_routes(api, engine, png) -> None:
    async with api() as client:
        image = data_url(png)
        reply = body(await client.post("/mj/submit/describe", json={"base64": image}))
        assert reply["code"] == 1, reply
        describe = await get_task(engine, reply["result"])
        assert describe.action == "DESCRIBE" and describe.inputs[0]["content_type"] == "image/png"
        async with engine.connect() as conn:
            stored = (
                (await conn.execute(select(task_files).where(task_files.c.task_id == describe.id)))
                .mappings()
                .all()
            )
        assert [(f["role"], bytes(f["data"])) for f in stored] == [("input", png)]

        reply = body(
            await client.post(
                "/mj/submit/blend", json={"base64Array": [image, image], "dimensions": "PORTRAIT"}
            )
        )
        blend = await get_task(engine, reply["result"])
        assert (
            blend.action == "BLEND"
            and blend.params == {"dimensions": "PORTRAIT"}
            and len(blend.inputs) == 2
        )

        reply = body(await client.post("/mj/submit/shorten", json={"prompt": "a very long prompt"}))
        assert (await get_task(engine, reply["result"])).action == "SHORTEN"

        reply = body(
            await client.post(
                "/mj/submit/imagine", json={"prompt": "x", "base64Array": [image], "base64": image}
            )
        )
        assert len((await get_task(engine, reply["result"])).inputs) == 2

        parent = await _imagine(client, engine)
        await finish(engine, parent, account=None)
        reply = body(
            await client.post("/mj/submit/simple-change", json={"content": f"{parent} v2"})
        )
        assert reply["code"] == 1
        variation = await get_task(engine, reply["result"])
        assert (variation.action, variation.params["index"]) == ("VARIATION", 2)
        reply = body(await client.post("/mj/submit/simple-change", json={"content": f"{parent} R"}))
        assert (await get_task(engine, reply["result"])).action == "REROLL"

        queued = body(await client.get("/mj/task/queue"))
        assert variation.id in [t["id"] for t in queued]
        newest = body(await client.get("/mj/task/list"))
        assert newest[0]["id"] == reply["result"]

        reply = body(await client.post(f"/mj/task/{variation.id}/cancel"))
        assert reply["code"] == 1
        cancelled = body(await client.get(f"/mj/task/{variation.id}/fetch"))
        assert cancelled["status"] == "CANCEL"
        reply = body(await client.post(f"/mj/task/{variation.id}/cancel"))
        assert reply["code"] == 4

        reply = body(await client.get(f"/mj/task/{parent}/image-seed"))
        assert reply["code"] == 4
        async with engine.begin() as conn:  # a final task: written directly, as a worker would
            await q.update_task(conn, parent, {"properties": {"seed": 636646138}})
        assert body(await client.get(f"/mj/task/{parent}/image-seed"))["result"] == "636646138"


async def test_accounts_never_show_tokens(api, engine) -> None:
    await add_account(engine, concurrency=3)
    async with api() as client:
        listed = await client.get("/mj/account/list")
        one = await client.get(f"/mj/account/{ACCOUNT}/fetch")
        missing = await client.get("/mj/account/nope/fetch")
    assert "SECRET-TOKEN" not in listed.text + one.text
    assert body(listed)[0]["id"] == ACCOUNT and body(one)["channelId"] == ACCOUNT
    assert body(one)["enable"] is True and body(one)["coreSize"] == 3
    assert missing.status_code == 404 and body(missing)["code"] == 3


async def test_fetch_unknown_task_is_json_404(api) -> None:
    async with api() as client:
        response = await client.get("/mj/task/123/fetch")
        seed = await client.get("/mj/task/123/image-seed")
        cancel = await client.post("/mj/task/123/cancel")
    assert response.status_code == 404 and body(response)["code"] == 3
    assert seed.status_code == 404 and cancel.status_code == 404


BAD_IMAGINE = [
    ({}, 4, "prompt不能为空"),
    ({"prompt": ""}, 4, "prompt不能为空"),
    ({"prompt": 7}, 4, "prompt参数错误"),
    ({"prompt": "x", "base64Array": "nope"}, 4, "base64List参数错误"),
    ({"prompt": "x", "base64Array": ["data:image/png;base64,!!"]}, 4, "base64格式错误"),
    ({"prompt": "x", "base64Array": [data_url(b"<html></html>")]}, 4, "base64格式错误"),
    ({"prompt": "x", "base64Array": [7]}, 4, "base64格式错误"),
    ({"prompt": "x", "state": "s" * 256}, 4, "state参数错误"),
    ({"prompt": "x", "notifyHook": "ftp://x"}, 4, "notifyHook参数错误"),
    ({"prompt": "x", "notifyHook": 5}, 4, "notifyHook参数错误"),
    ({"prompt": "x", "botType": "DALL_E"}, 4, "botType参数错误"),
    ({"prompt": "a Nude body"}, 24, "可能包含敏感词"),
]


@pytest.mark.parametrize(
    ("payload", "code", "description"), BAD_IMAGINE, ids=range(len(BAD_IMAGINE))
)
async def test_bad_imagine(api, engine, payload, code, description) -> None:
    async with api(banned_words=("nude",)) as client, no_writes(engine):
        response = await client.post(
            "/mj/submit/imagine", json={**payload, "state": payload.get("state", "")}
        )
    assert response.status_code == 200
    reply = body(response)
    assert reply["code"] == code and reply["description"].startswith(description), reply
    if code == 24:
        assert reply["properties"] == {"promptEn": "a Nude body", "bannedWord": "Nude"}


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"text"', b"[" * 5000],
    ids=["broken", "array", "string", "deep"],
)
async def test_bad_json(api, engine, raw) -> None:
    async with api() as client, no_writes(engine):
        for path in (
            "/novicezk/mj/submit/imagine",
            "/mj/submit/action",
            "/mj/submit/blend",
            "/mj/task/list-by-condition",
        ):
            response = await client.post(
                path, content=raw, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, path
            assert body(response)["code"] == 4, (path, response.text)


async def test_oversized_image_refused(api, engine, png) -> None:
    async with api(image_max_bytes=1024) as client, no_writes(engine):
        big = data_url(png + b"\0" * 4096)
        response = await client.post("/mj/submit/describe", json={"base64": big})
    reply = body(response)
    assert reply["code"] == 4 and "larger" in reply["description"]


async def _parent(client, engine, *, done: bool = True, buttons=None) -> str:
    task_id = body(await client.post("/mj/submit/imagine", json={"prompt": "a cat", "state": ""}))[
        "result"
    ]
    if done:
        await finish(engine, task_id, account=None, buttons=buttons)
    return task_id


async def test_bad_follow_ups(api, engine, png) -> None:
    async with api() as client:
        done = await _parent(client, engine)
        running = await _parent(client, engine, done=False)
        upscaled = await _parent(client, engine, buttons=upscale_buttons())
        u1 = f"MJ::JOB::upsample::1::{'3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f'}"
        cases = [
            ("/mj/submit/change", {"action": "UPSCALE", "index": 1}, 4, "taskId不能为空"),
            (
                "/mj/submit/change",
                {"taskId": done, "action": "ZOOM", "index": 1},
                4,
                "action参数错误",
            ),
            (
                "/mj/submit/change",
                {"taskId": done, "action": "UPSCALE", "index": 5},
                4,
                "index参数错误",
            ),
            (
                "/mj/submit/change",
                {"taskId": done, "action": "UPSCALE", "index": "1"},
                4,
                "index参数错误",
            ),
            (
                "/mj/submit/change",
                {"taskId": done, "action": "UPSCALE", "index": True},
                4,
                "index参数错误",
            ),
            (
                "/mj/submit/change",
                {"taskId": "999", "action": "UPSCALE", "index": 1},
                3,
                "关联任务不存在",
            ),
            (
                "/mj/submit/change",
                {"taskId": running, "action": "UPSCALE", "index": 1},
                4,
                "关联任务状态错误",
            ),
            (
                "/mj/submit/change",
                {"taskId": upscaled, "action": "UPSCALE", "index": 1},
                4,
                "关联任务不允许执行变化",
            ),
            ("/mj/submit/simple-change", {"content": f"{done} U5"}, 4, "content参数错误"),
            ("/mj/submit/simple-change", {"content": 5}, 4, "content参数错误"),
            ("/mj/submit/action", {"taskId": done}, 4, "customId不能为空"),
            ("/mj/submit/action", {"taskId": done, "customId": ["x"]}, 4, "customId参数错误"),
            (
                "/mj/submit/action",
                {"taskId": done, "customId": "MJ::JOB::upsample::1::other"},
                4,
                "customId参数错误",
            ),
            ("/mj/submit/action", {"taskId": done, "customId": "rubbish"}, 4, "customId参数错误"),
            ("/mj/submit/action", {"taskId": "1", "customId": u1}, 3, "关联任务不存在"),
            ("/mj/submit/action", {"taskId": running, "customId": u1}, 4, "关联任务状态错误"),
            ("/mj/submit/modal", {"taskId": "1", "prompt": "x"}, 3, "任务不存在"),
            ("/mj/submit/modal", {"taskId": done, "prompt": "x"}, 4, "任务状态错误"),
            ("/mj/submit/modal", {"prompt": "x"}, 4, "taskId不能为空"),
            ("/mj/submit/modal", {"taskId": done, "maskBase64": "!!"}, 4, "base64格式错误"),
            ("/mj/submit/describe", {}, 4, "base64不能为空"),
            ("/mj/submit/describe", {"base64": "data:image/png;base64,AAAA"}, 4, "base64格式错误"),
            ("/mj/submit/describe", {"link": "http://127.0.0.1/x.png"}, 4, "image URL refused"),
            (
                "/mj/submit/describe",
                {"link": "http://169.254.169.254/latest/meta-data"},
                4,
                "image URL refused",
            ),
            ("/mj/submit/blend", {"base64Array": [data_url(png)]}, 4, "base64List参数错误"),
            ("/mj/submit/blend", {"base64Array": [data_url(png)] * 6}, 4, "base64List参数错误"),
            (
                "/mj/submit/blend",
                {"base64Array": [data_url(png)] * 2, "dimensions": "WIDE"},
                4,
                "dimensions参数错误",
            ),
            (
                "/mj/submit/blend",
                {"base64Array": [data_url(png)] * 2, "dimensions": None},
                4,
                "dimensions参数错误",
            ),
            ("/mj/submit/shorten", {"prompt": None}, 4, "prompt不能为空"),
            ("/mj/task/list-by-condition", {"ids": "1"}, 4, "ids参数错误"),
            ("/mj/task/list-by-condition", {"ids": [{"a": 1}]}, 4, "ids参数错误"),
        ]
        async with no_writes(engine):
            for path, payload, code, description in cases:
                response = await client.post("/novicezk" + path, json=payload)
                reply = body(response)
                assert reply["code"] == code, (path, payload, reply)
                assert reply["description"].startswith(description), (path, payload, reply)
        # a modal task that needs a mask, and a Custom Zoom without --zoom
        inpaint = next(
            c
            for c in [
                b["customId"]
                for b in body(await client.get(f"/mj/task/{upscaled}/fetch"))["buttons"]
            ]
            if "Inpaint" in c
        )
        modal = body(
            await client.post("/mj/submit/action", json={"taskId": upscaled, "customId": inpaint})
        )
        assert modal["code"] == 21
        zoom = next(
            c
            for c in [
                b["customId"]
                for b in body(await client.get(f"/mj/task/{upscaled}/fetch"))["buttons"]
            ]
            if "CustomZoom" in c
        )
        zoom_modal = body(
            await client.post("/mj/submit/action", json={"taskId": upscaled, "customId": zoom})
        )
        async with no_writes(engine):
            reply = body(
                await client.post(
                    "/mj/submit/modal", json={"taskId": modal["result"], "prompt": "x"}
                )
            )
            assert reply["code"] == 4 and "maskBase64" in reply["description"]
            reply = body(
                await client.post(
                    "/mj/submit/modal", json={"taskId": zoom_modal["result"], "prompt": "x"}
                )
            )
            assert reply["code"] == 4 and "--zoom" in reply["description"]
        reply = body(
            await client.post(
                "/mj/submit/modal",
                json={"taskId": modal["result"], "prompt": "a hat", "maskBase64": data_url(png)},
            )
        )
        assert reply["code"] == 1
        async with engine.connect() as conn:
            files = (
                (
                    await conn.execute(
                        select(task_files).where(task_files.c.task_id == modal["result"])
                    )
                )
                .mappings()
                .all()
            )
        assert [(f["role"], f["name"]) for f in files] == [("mask", "mask.png")]
