"""Input images by URL (SSRF guard, limits, types) and durable result-file URLs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select

from app.taskstore import get_task
from db.tables import task_files
from tests.integration.api.conftest import body, finish, no_writes
from tests.integration.api.local_server import LocalServer


@pytest_asyncio.fixture(loop_scope="session")
async def server(png: bytes) -> AsyncIterator[LocalServer]:
    local = LocalServer(
        {
            "/cat.png": (200, {"Content-Type": "image/png"}, png),
            "/big.png": (200, {"Content-Type": "image/png"}, png + b"\0" * 5000),
            "/page.html": (200, {"Content-Type": "text/html"}, b"<html>hi</html>"),
            "/redirect": (302, {"Location": "/cat.png"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/gone.png": (404, {}, b"no"),
            "/result.png": (200, {"Content-Type": "image/png"}, png),
        }
    )
    local.server = await asyncio.start_server(local._handle, "127.0.0.1", 0)
    try:
        yield local
    finally:
        local.server.close()
        await local.server.wait_closed()


async def test_image_urls_are_fetched_and_stored(api, engine, server, png) -> None:
    async with api(image_allow_private=True) as client:
        urls = [f"{server.base}/cat.png", f"{server.base}/redirect"]
        reply = body(await client.post("/image/imagine", json={"prompt": "cat", "images": urls}))
        assert reply["code"] == 0, reply
        task = await get_task(engine, reply["taskId"])
        assert [i["url"] for i in task.inputs] == urls
        fetched = body(await client.get("/task/fetch", params={"taskId": task.id}))
        assert fetched["data"]["images"] == urls
        reply = body(
            await client.post("/image/describe", json={"images": [f"{server.base}/cat.png"]})
        )
        assert reply["code"] == 0
    async with engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    select(task_files)
                    .where(task_files.c.task_id == task.id)
                    .order_by(task_files.c.position)
                )
            )
            .mappings()
            .all()
        )
    assert [(r["name"], bytes(r["data"]), r["source"]) for r in rows] == [
        ("input-0.png", png, urls[0]),
        ("input-1.png", png, urls[1]),
    ]


async def test_bad_image_urls_write_nothing(api, engine, server) -> None:
    cases = {
        "/big.png": "larger than 1024 bytes",
        "/page.html": "not an image",
        "/gone.png": "HTTP 404",
        "/loop": "redirects",
    }
    async with api(image_allow_private=True, image_max_bytes=1024) as client, no_writes(engine):
        for path, message in cases.items():
            reply = body(
                await client.post(
                    "/image/imagine", json={"prompt": "c", "images": [server.base + path]}
                )
            )
            assert reply["code"] == 500 and message in reply["msg"], (path, reply)
        reply = body(
            await client.post(
                "/image/imagine", json={"prompt": "c", "images": ["http://127.0.0.1:1/x.png"]}
            )
        )
        assert reply["code"] == 500 and "could not be fetched" in reply["msg"], reply
        reply = body(
            await client.post(
                "/novicezk/mj/submit/describe", json={"link": server.base + "/page.html"}
            )
        )
        assert reply["code"] == 4 and "not an image" in reply["description"]
    async with api() as client, no_writes(engine):  # the default: private addresses refused
        hits = len(server.hits)
        reply = body(
            await client.post(
                "/image/imagine", json={"prompt": "c", "images": [server.base + "/cat.png"]}
            )
        )
        assert reply["code"] == 500 and "refused" in reply["msg"] and "loopback" in reply["msg"]
        assert len(server.hits) == hits  # never connected


async def test_result_files_outlive_discord_links(api, engine, server, png) -> None:
    # The local server stands in for Discord (as the sandbox does): its origin may serve results.
    async with api(
        cdn_host="https://img.example.com", discord_api_base=f"{server.base}/api/v9"
    ) as client:
        task_id = body(await client.post("/novicezk/mj/submit/imagine", json={"prompt": "cat"}))[
            "result"
        ]
        await finish(engine, task_id, account=None, image_url=f"{server.base}/result.png?ex=1&is=2")
        fetched = body(await client.get(f"/mj/task/{task_id}/fetch"))
        url = fetched["imageUrl"]
        assert url.startswith(f"https://img.example.com/files/{task_id}/") and url.endswith(
            "/image.png"
        )
        path = url.removeprefix("https://img.example.com")
        response = await client.get(path)
        assert response.status_code == 200 and response.content == png
        assert response.headers["content-type"] == "image/png"
        assert "immutable" in response.headers["cache-control"]
        hits = len(server.hits)
        server.routes.pop("/result.png")  # Discord's link expired
        again = await client.get(path)
        assert again.status_code == 200 and again.content == png and len(server.hits) == hits
        token = path.split("/")[3]
        for bad in (
            path.replace(token, "0" * len(token)),
            f"/files/{task_id}/{token}/video.mp4",
            f"/files/{task_id}/{token}/other.png",
            f"/files/123/{token}/image.png",
        ):
            assert (await client.get(bad)).status_code == 404, bad


async def test_result_file_unavailable_is_502(api, engine, server) -> None:
    async with api(discord_api_base=f"{server.base}/api/v9") as client:
        task_id = body(await client.post("/novicezk/mj/submit/imagine", json={"prompt": "cat"}))[
            "result"
        ]
        await finish(engine, task_id, account=None, image_url=f"{server.base}/gone.png")
        url = body(await client.get(f"/mj/task/{task_id}/fetch"))["imageUrl"]
        assert url.startswith("http://test/files/")
        response = await client.get(url.removeprefix("http://test"))
    assert response.status_code == 502 and "not available" in response.json()["error"]
