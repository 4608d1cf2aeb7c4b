"""webman contract: spec §A and the acceptance calls of §D.3 (2)."""

from __future__ import annotations

import json

import pytest

from app.taskstore import get_task
from tests.integration.api.conftest import (
    ACCOUNT,
    add_account,
    body,
    deliveries_of,
    finish,
    no_writes,
)

SECRET = {"mj-api-secret": "wm"}


async def test_acceptance_imagine_fetch_action_ban_secret(api, engine) -> None:
    await add_account(engine)
    async with api(webman_api_secret="wm", banned_words=("nude",)) as client:
        reply = body(
            await client.post(
                "/image/imagine",
                json={
                    "prompt": "a  small\n cat",
                    "notifyUrl": "http://hooks.example/wm",
                    "data": {"k": 1},
                },
                headers=SECRET,
            )
        )
        assert reply["code"] == 0 and reply["msg"] == "ok" and reply["data"] == []
        task_id = reply["taskId"]
        assert len(task_id) == 19 and task_id.isdigit()

        fetched = body(await client.get("/task/fetch", params={"taskId": task_id}, headers=SECRET))
        assert fetched["code"] == 0 and fetched["msg"] == "success" and "taskId" not in fetched
        assert fetched["data"]["status"] == "PENDING" and fetched["data"]["prompt"] == "a small cat"
        assert fetched["data"]["data"] == {"k": 1}

        await finish(engine, task_id)
        response = await client.get("/task/fetch", params={"taskId": task_id}, headers=SECRET)
        data = body(response)["data"]
        assert (data["status"], data["progress"], data["discordId"]) == (
            "FINISHED",
            "100%",
            ACCOUNT,
        )
        assert data["imageRawUrl"].startswith("https://cdn.discordapp.com/")
        assert data["imageUrl"].startswith(f"http://test/files/{task_id}/")
        assert isinstance(data["submitTime"], int) and data["submitTime"] < 10**11  # seconds
        custom_id = data["buttons"][1][0]["custom_id"]  # nested raw rows, snake_case
        assert custom_id.startswith("MJ::JOB::variation::1::")

        sent = await deliveries_of(engine, task_id)
        assert (
            sent[-1]["payload"]
            == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        )
        assert response.content == b'{"code":0,"msg":"success","data":' + sent[-1]["payload"] + b"}"

        reply = body(
            await client.post(
                "/image/action", json={"taskId": task_id, "customId": custom_id}, headers=SECRET
            )
        )
        assert reply["code"] == 0, reply
        variation = await get_task(engine, reply["taskId"])
        assert (variation.action, variation.parent_id, variation.account_id) == (
            "VARIATION",
            task_id,
            ACCOUNT,
        )

        async with no_writes(engine):
            banned = body(
                await client.post("/image/imagine", json={"prompt": "a nude cat"}, headers=SECRET)
            )
            assert banned == {
                "code": 500,
                "msg": "出于政策隐私和安全的考虑，我们无法生成相关内容",
                "taskId": None,
                "data": [],
                "ban-words": "nude",
            }
            for headers in ({}, {"mj-api-secret": "wrong"}):
                response = await client.post(
                    "/image/imagine", json={"prompt": "cat"}, headers=headers
                )
                assert response.status_code == 200
                assert body(response) == {
                    "code": 403,
                    "msg": "403 Api Secret 错误",
                    "taskId": None,
                    "data": [],
                }
            response = await client.get("/task/fetch", params={"taskId": task_id})
            assert body(response)["code"] == 403


async def test_form_bodies_any_method_and_case(api, engine) -> None:
    async with api() as client:
        reply = body(
            await client.post(
                "/image/IMAGINE", data={"prompt": "a cat", "images[]": ["http://127.0.0.1:9/a.png"]}
            )
        )
        # URLs are fetched at submit time, through the SSRF guard: loopback is refused
        assert reply["code"] == 500 and "image URL" in reply["msg"]
        reply = body(await client.put("/image/imagine", data={"prompt": "a cat", "data[k]": "v"}))
        assert reply["code"] == 0
        task = await get_task(engine, reply["taskId"])
        assert task.client_data == {"k": "v"}
        reply = body(await client.get("/image/imagine"))
        assert reply["code"] == 500 and reply["msg"] == "prompt is required"


async def test_api_prefix(api) -> None:
    async with api(webman_api_prefix="mj") as client:
        assert body(await client.post("/mj/image/imagine", json={"prompt": "cat"}))["code"] == 0
        assert (
            body(await client.post("/webman/mj/image/imagine", json={"prompt": "cat"}))["code"] == 0
        )
        assert body(await client.post("/webman/image/imagine", json={"prompt": "cat"}))["code"] == 0
        unprefixed = body(await client.post("/image/imagine", json={"prompt": "cat"}))
    assert unprefixed == {"code": 404, "msg": "API 404 Not Found", "taskId": None, "data": []}


async def test_unknown_routes_are_webman_404(api) -> None:
    async with api(webman_api_secret="wm") as client:
        for path in ("/image/input", "/image/upload", "/task/list", "/webman/nothing"):
            response = await client.get(path)  # no secret: routing comes first
            assert response.status_code == 200
            assert body(response)["code"] == 404, path


async def test_fetch_unknown(api) -> None:
    async with api() as client:
        for params in ({}, {"taskId": "1234567890123456789"}):
            assert body(await client.get("/task/fetch", params=params)) == {
                "code": 404,
                "msg": "未找到任务",
                "data": None,
            }


async def test_bad_requests(api, engine) -> None:
    url = "https://img.example/a.png"
    async with api() as client:
        parent = body(await client.post("/image/imagine", json={"prompt": "cat"}))["taskId"]
        running = body(await client.post("/image/imagine", json={"prompt": "dog"}))["taskId"]
        await finish(engine, parent, account=None)
        hash_ = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"
        cases = [
            ("/image/imagine", {}, "prompt is required"),
            ("/image/imagine", {"prompt": "0"}, "prompt is required"),
            ("/image/imagine", {"prompt": ["x"]}, "prompt is invalid"),
            ("/image/imagine", {"prompt": "x", "images": "nope"}, "images is invalid"),
            ("/image/imagine", {"prompt": "x", "images": ["not a url"]}, "images is invalid"),
            (
                "/image/imagine",
                {"prompt": "x", "images": ["http://127.0.0.1:9/a.png"]},
                "image URL refused",
            ),
            (
                "/image/imagine",
                {"prompt": "x", "images": ["http://localhost/a.png"]},
                "image URL refused",
            ),
            (
                "/image/imagine",
                {"prompt": "x", "images": ["http://[::1]/a.png"]},
                "image URL refused",
            ),
            (
                "/image/imagine",
                {"prompt": "x", "images": ["http://10.1.2.3/a.png"]},
                "image URL refused",
            ),
            ("/image/imagine", {"prompt": "x", "data": "str"}, "data is invalid"),
            (
                "/image/imagine",
                {"prompt": "x", "notifyUrl": "javascript:x"},
                "notifyUrl is invalid",
            ),
            ("/image/blend", {}, "images is required"),
            ("/image/blend", {"images": [url]}, "images is invalid"),
            ("/image/blend", {"images": [url, url], "dimensions": "WIDE"}, "dimensions is invalid"),
            ("/image/describe", {"images": []}, "images is required"),
            ("/image/action", {"customId": "MJ::x::y"}, "taskId is required"),
            ("/image/action", {"taskId": "123", "customId": "MJ::x::y"}, "taskId is invalid"),
            ("/image/action", {"taskId": parent}, "customId is required"),
            ("/image/action", {"taskId": parent, "customId": "nocolons"}, "customId is invalid"),
            (
                "/image/action",
                {"taskId": parent, "customId": "MJ::Settings::x"},
                "action not found",
            ),
            (
                "/image/action",
                {"taskId": "1234567890123456789", "customId": f"MJ::JOB::upsample::1::{hash_}"},
                "任务不存在",
            ),
            (
                "/image/action",
                {"taskId": parent, "customId": f"MJ::Inpaint::1::{hash_}::SOLO"},
                "mask is required",
            ),
            (
                "/image/action",
                {"taskId": parent, "customId": f"MJ::CustomZoom::{hash_}"},
                "prompt is required",
            ),
            (
                "/image/action",
                {"taskId": parent, "customId": f"MJ::JOB::upsample::1::{hash_}", "mask": ""},
                "mask is invalid",
            ),
            (
                "/image/action",
                {"taskId": running, "customId": f"MJ::JOB::upsample::1::{hash_}"},
                "task ",
            ),
            (
                "/image/action",
                {"taskId": parent, "customId": "MJ::JOB::upsample::1::other"},
                "task ",
            ),
        ]
        async with no_writes(engine):
            for path, payload, message in cases:
                response = await client.post(path, json=payload)
                assert response.status_code == 200
                reply = body(response)
                assert reply["code"] == 500 and reply["msg"].startswith(message), (
                    path,
                    payload,
                    reply,
                )
                assert reply["taskId"] is None and reply["ban-words"] == ""
            for raw in (b"{oops", b"[1]"):
                response = await client.post(
                    "/image/imagine", content=raw, headers={"content-type": "application/json"}
                )
                assert body(response)["code"] == 500


@pytest.mark.parametrize("dimensions", [None, "portrait"])
async def test_blend_dimensions_default_square(api, engine, dimensions) -> None:
    """webman throws a PHP TypeError without `dimensions`; we default to SQUARE instead."""
    async with api() as client:
        payload = {"images": ["http://127.0.0.1:9/1.png", "http://127.0.0.1:9/2.png"]}
        if dimensions:
            payload["dimensions"] = dimensions
        reply = body(await client.post("/image/blend", json=payload))
    # the URLs are refused (loopback), but validation got past `dimensions`
    assert reply["code"] == 500 and "image URL" in reply["msg"]
