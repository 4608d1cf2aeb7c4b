"""Discordxy contract (spec §B, §D.3 (3)) and the one-port routing of design.md."""

from __future__ import annotations

from app.taskstore import get_task
from tests.integration.api.conftest import (
    ACCOUNT,
    add_account,
    body,
    finish,
    no_writes,
    upscale_buttons,
)


async def test_acceptance_imagine_change_status(api, engine) -> None:
    await add_account(engine)
    async with api() as client:
        reply = body(await client.post("/mj/imagine", json={"prompt": "a small cat"}))
        assert list(reply) == ["code", "result", "message"]
        assert reply["code"] == 0 and reply["message"] == "Success" and len(reply["result"]) == 19
        task_id = reply["result"]
        status = body(await client.get("/mj/status", params={"taskId": task_id}))
        assert status["result"]["status"] == "Submit" and status["result"]["action"] == "Imagine"
        await finish(engine, task_id)
        status = body(await client.get("/mj/status", params={"taskId": task_id}))["result"]
        assert (status["status"], status["progress"], status["channelId"]) == (
            "Success",
            "100%",
            ACCOUNT,
        )
        assert isinstance(status["finishTime"], int) and status["finishTime"] < 10**11

        reply = body(await client.post("/mj/change", json={"taskId": task_id, "action": "U1"}))
        assert reply["code"] == 0, reply
        upscale = await get_task(engine, reply["result"])
        assert (upscale.action, upscale.params["index"], upscale.account_id) == (
            "UPSCALE",
            1,
            ACCOUNT,
        )
        for name in ("V4", "reroll"):
            assert (
                body(await client.post("/mj/change", json={"taskId": task_id, "action": name}))[
                    "code"
                ]
                == 0
            )

        await finish(engine, upscale.id, buttons=upscale_buttons())
        for name, action in (
            ("UpscaleSubtle", "UPSCALE_SUBTLE"),
            ("VaryCreative", "VARIATION_STRONG"),
            ("Zoom1d5x", "ZOOM_OUT"),
            ("PanLeft", "PAN_LEFT"),
        ):
            reply = body(
                await client.post("/mj/change", json={"taskId": upscale.id, "action": name})
            )
            assert reply["code"] == 0, (name, reply)
            assert (await get_task(engine, reply["result"])).action == action
        zoom = body(await client.get("/mj/status", params={"taskId": reply["result"]}))
        assert zoom["result"]["params"]["index"] == "1"  # Discordxy shows the index as a string

        old = body(await client.get("/mj/submit/status", params={"taskId": task_id}))
        assert old["result"]["status"] == "Success"


async def test_bad_requests(api, engine) -> None:
    async with api(banned_words=("nude",)) as client:
        running = body(await client.post("/mj/imagine", json={"prompt": "a cat"}))["result"]
        done = body(await client.post("/mj/imagine", json={"prompt": "a dog"}))["result"]
        await finish(engine, done, account=None)
        cases = [
            ("/mj/imagine", {}, 400, "prompt is required"),
            ("/mj/imagine", {"prompt": 3}, 400, "prompt must be a string"),
            ("/mj/imagine", {"prompt": "a NUDE cat"}, 400, "prompt contains a banned word: NUDE"),
            ("/mj/imagine", {"prompt": "x", "notifyUrl": "x"}, 400, "notifyUrl must be"),
            ("/mj/change", {"taskId": done}, 400, "action is required"),
            ("/mj/change", {"taskId": done, "action": "U9"}, 400, "unsupported action"),
            ("/mj/change", {"taskId": "404", "action": "U1"}, 404, "task 404 does not exist"),
            ("/mj/change", {"taskId": running, "action": "U1"}, 409, f"task {running} is PENDING"),
            ("/mj/change", {"taskId": done, "action": "PanLeft"}, 400, f"task {done}"),
            ("/pika/create", {"prompt": ""}, 400, "prompt is required"),
        ]
        async with no_writes(engine):
            for path, payload, status, message in cases:
                response = await client.post(path, json=payload)
                assert response.status_code == status, (path, payload, response.text)
                reply = body(response)
                assert reply["code"] == status and reply["result"] is None
                assert reply["message"].startswith(message), (path, reply)
            response = await client.post(
                "/mj/imagine", content=b"{", headers={"content-type": "application/json"}
            )
            assert (
                response.status_code == 400
                and body(response)["message"] == "request body is not valid JSON"
            )
            for path in ("/mj/status", "/pika/status"):
                assert (await client.get(path)).status_code == 400
                assert (
                    await client.get(path, params={"taskId": "1", "nonce": "1"})
                ).status_code == 404
            response = await client.post(
                "/pika/animate", files={"file": ("a.txt", b"hello", "text/plain")}
            )
            assert response.status_code == 400 and "not an image" in body(response)["message"]
            response = await client.post(
                "/pika/animate", data={"prompt": "x"}, files={"other": ("a", b"x")}
            )
            assert response.status_code == 400 and "file is required" in body(response)["message"]
            response = await client.post("/pika/animate", json={"prompt": "x"})
            assert response.status_code == 400


async def test_pika_and_client_online(api, engine, png) -> None:
    await add_account(engine)
    async with api() as client:
        reply = body(await client.post("/pika/create", json={"prompt": "a dancing cat"}))
        created = await get_task(engine, reply["result"])
        assert (created.bot, created.action) == ("pika", "PIKA_CREATE")
        reply = body(
            await client.post(
                "/pika/animate",
                data={"prompt": "blink"},
                files={"file": ("cat.png", png, "image/png")},
            )
        )
        animate = await get_task(engine, reply["result"])
        assert (animate.action, animate.prompt, animate.inputs[0]["content_type"]) == (
            "PIKA_ANIMATE",
            "blink",
            "image/png",
        )
        status = body(await client.get("/pika/status", params={"nonce": animate.id}))
        assert status["result"]["action"] == "Animate"
        online = body(await client.get("/client/online"))
        assert online["result"][0]["id"] == ACCOUNT and online["result"][0]["online"] is True
        assert "SECRET-TOKEN" not in str(online)


async def test_submit_paths_follow_the_submit_dialect(api, engine) -> None:
    async with api() as client:  # auto
        dx = body(await client.post("/mj/submit/imagine", json={"prompt": "a small cat"}))
        nz = body(
            await client.post(
                "/mj/submit/imagine", json={"prompt": "a small cat", "botType": "MID_JOURNEY"}
            )
        )
        assert dx["code"] == 0 and dx["message"] == "Success" and len(dx["result"]) == 19
        assert nz["code"] == 1 and len(nz["result"]) == 16
        await finish(engine, nz["result"], account=None)
        change = body(
            await client.post("/mj/submit/change", json={"taskId": nz["result"], "action": "U2"})
        )
        assert change["code"] == 0, change
        change = body(
            await client.post(
                "/mj/submit/change", json={"taskId": nz["result"], "action": "UPSCALE", "index": 2}
            )
        )
        assert change["code"] == 1, change
        for path, expected in (
            ("/discordxy/mj/submit/imagine", 0),
            ("/novicezk/mj/submit/imagine", 1),
        ):
            assert body(await client.post(path, json={"prompt": "cat"}))["code"] == expected
    async with api(submit_dialect="novicezk") as client:
        assert body(await client.post("/mj/submit/imagine", json={"prompt": "cat"}))["code"] == 1
    async with api(submit_dialect="discordxy") as client:
        assert (
            body(await client.post("/mj/submit/imagine", json={"prompt": "cat", "state": "x"}))[
                "code"
            ]
            == 0
        )


async def test_every_fetch_reads_every_task(api, engine) -> None:
    async with api() as client:
        wm = body(await client.post("/image/imagine", json={"prompt": "cat"}))["taskId"]
        nz = body(await client.post("/novicezk/mj/submit/imagine", json={"prompt": "cat"}))[
            "result"
        ]
        assert body(await client.get(f"/mj/task/{wm}/fetch"))["status"] == "NOT_START"
        assert (
            body(await client.get("/mj/status", params={"taskId": nz}))["result"]["status"]
            == "Submit"
        )
        assert (
            body(await client.get("/webman/task/fetch", params={"taskId": nz}))["data"]["id"] == nz
        )


async def test_secrets_per_dialect(api) -> None:
    async with api(api_secret="all", discordxy_api_secret="", novicezk_api_secret="nz") as client:
        assert (await client.post("/mj/imagine", json={"prompt": "cat"})).status_code == 200
        assert (
            await client.post(
                "/mj/task/list-by-condition", json={}, headers={"mj-api-secret": "all"}
            )
        ).status_code == 401
        assert (
            await client.get("/mj/task/list", headers={"Authorization": "nz"})
        ).status_code == 200
        assert (
            body(
                await client.post(
                    "/image/imagine", json={"prompt": "c"}, headers={"mj-api-secret": "nz"}
                )
            )["code"]
            == 403
        )
        assert (
            body(
                await client.post(
                    "/image/imagine", json={"prompt": "c"}, headers={"mj-api-secret": "all"}
                )
            )["code"]
            == 0
        )
    async with api(api_secret="all") as client:
        response = await client.post("/mj/imagine", json={"prompt": "cat"})
        assert response.status_code == 401 and body(response)["code"] == 401


async def test_unknown_paths_and_methods_are_json(api) -> None:
    async with api() as client:
        for method, path, status in (
            ("GET", "/nothing", 404),
            ("GET", "/mj/submit/imagine", 405),
            ("GET", "/mj/nothing", 404),
            ("DELETE", "/mj/task/1/fetch", 405),
            ("GET", "/discordxy/nothing", 404),
            ("GET", "/pika/nothing", 404),
        ):
            response = await client.request(method, path)
            assert response.status_code == status, (method, path)
            assert response.headers["content-type"].startswith("application/json")
