"""/files copies results from Discord's CDN (or the account's stand-in) only, and serves bytes
by what they are: a hostile result URL can neither reach another host nor run script here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy import text

from tests.integration.api.conftest import add_account, body, finish
from tests.integration.api.local_server import LocalServer

HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


async def _start(routes: dict) -> LocalServer:
    local = LocalServer(routes)
    local.server = await asyncio.start_server(local._handle, "127.0.0.1", 0)
    return local


@pytest_asyncio.fixture(loop_scope="session")
async def servers(png: bytes) -> AsyncIterator[tuple[LocalServer, LocalServer]]:
    """`stand_in` plays the account's sandbox; `other` is any other host."""
    other = await _start({"/result.png": (200, {"Content-Type": "image/png"}, png)})
    stand_in = await _start(
        {
            "/attachments/ok.png": (200, {"Content-Type": "image/png"}, png),
            "/attachments/ok.mp4": (200, {"Content-Type": "video/mp4"}, MP4),
            "/attachments/page.png": (200, {"Content-Type": "image/png"}, HTML),
            "/attachments/x.svg": (200, {"Content-Type": "image/svg+xml"}, SVG),
            "/attachments/hop.png": (302, {"Location": "/attachments/ok.png"}, b""),
            "/attachments/away.png": (302, {"Location": f"{other.base}/result.png"}, b""),
        }
    )
    try:
        yield stand_in, other
    finally:
        for local in (stand_in, other):
            assert local.server is not None
            local.server.close()
            await local.server.wait_closed()


async def _result(api_client, engine, n: int, **urls: str) -> str:
    """A finished task of the stand-in's account whose result is at `urls`; its /files path."""
    reply = body(await api_client.post("/novicezk/mj/submit/imagine", json={"prompt": f"c{n}"}))
    await finish(engine, reply["result"], **urls)
    fetched = body(await api_client.get(f"/mj/task/{reply['result']}/fetch"))
    url = fetched["videoUrl"] if "video_url" in urls else fetched["imageUrl"]
    return url.removeprefix("http://test")


async def _stand_in_account(engine, base: str) -> None:
    await add_account(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE accounts SET api_base = :b"), {"b": f"{base}/api/v9"})


async def test_results_come_only_from_the_cdn_or_the_accounts_stand_in(
    api, engine, servers
) -> None:
    stand_in, other = servers
    await _stand_in_account(engine, stand_in.base)
    refused = {
        "foreign host": f"{other.base}/result.png",  # loopback too, but not the stand-in
        "redirect to a foreign host": f"{stand_in.base}/attachments/away.png",
        "private address": "http://10.20.30.40/attachments/ok.png",
        "another port of the stand-in's host": "http://127.0.0.1:1/attachments/ok.png",
        "plain http to Discord's CDN": "http://cdn.discordapp.com/attachments/1/2/a.png",
        "not http": "file:///etc/passwd",
    }
    async with api() as client:
        paths = {why: await _result(client, engine, n, image_url=url)
                 for n, (why, url) in enumerate(refused.items())}  # fmt: skip
        fine = await _result(client, engine, 90, image_url=f"{stand_in.base}/attachments/hop.png")
        replies = {why: await client.get(path) for why, path in paths.items()}
        served = await client.get(fine)
    for why, reply in replies.items():
        assert reply.status_code == 502, (why, reply.status_code, reply.text)
        assert "not available" in reply.json()["error"], why
    assert other.hits == []  # never contacted, not even after the stand-in's redirect
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT count(*) FROM task_objects WHERE name = 'image' AND state = 'stored'")
            )
        ).scalar_one()
    assert stored == 1  # only the allowed result was kept


async def test_default_settings_trust_discords_cdn_only(api, engine, servers) -> None:
    """Without a stand-in account, a loopback result URL is refused (Discord's API is real)."""
    stand_in, _ = servers
    await add_account(engine)
    async with api() as client:
        path = await _result(client, engine, 1, image_url=f"{stand_in.base}/attachments/ok.png")
        hits = len(stand_in.hits)
        reply = await client.get(path)
    assert reply.status_code == 502 and len(stand_in.hits) == hits


async def test_files_are_served_by_what_they_are(api, engine, servers, png) -> None:
    stand_in, _ = servers
    await _stand_in_account(engine, stand_in.base)
    base = f"{stand_in.base}/attachments"
    async with api() as client:
        image = await client.get(await _result(client, engine, 1, image_url=f"{base}/ok.png"))
        video = await client.get(
            await _result(client, engine, 2, image_url=f"{base}/ok.png", video_url=f"{base}/ok.mp4")
        )
        html = await client.get(await _result(client, engine, 3, image_url=f"{base}/page.png"))
        svg_path = await _result(client, engine, 4, image_url=f"{base}/x.svg")
        svg = await client.get(svg_path)
        again = await client.get(svg_path)  # from the store now
        lying_path = await _result(client, engine, 5, image_url=f"{base}/ok.png")
        task_id = lying_path.split("/")[2]
        async with engine.begin() as conn:  # an old blob stored with the sender's word for its type
            await conn.execute(
                text(
                    "INSERT INTO task_files (task_id, name, role, position, content_type, size,"
                    " source, data) VALUES (:t, 'image', 'result', 0, 'text/html', :n, :s, :d)"
                ),
                {"t": task_id, "n": len(HTML), "s": f"{base}/ok.png", "d": HTML},
            )
        lying = await client.get(lying_path)
    assert image.status_code == 200 and image.content == png
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline; filename=")
    assert image.headers["content-disposition"].endswith('.png"')
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.headers["content-disposition"].startswith("inline; filename=")
    assert again.content == svg.content == SVG and lying.content == HTML
    for hostile in (html, svg, again, lying):
        assert hostile.status_code == 200
        assert hostile.headers["content-type"] == "application/octet-stream"
        assert hostile.headers["content-disposition"].startswith("attachment; filename=")
    for reply in (image, video, html, svg, again, lying):
        assert reply.headers["x-content-type-options"] == "nosniff"


async def test_an_unavailable_result_names_the_host_never_the_signed_url(
    api, engine, servers, caplog
) -> None:
    """Discord's attachment links carry a signature in their query: a failed copy says which
    host answered what, in the 502 and in the log, without the link itself."""
    stand_in, _ = servers
    await _stand_in_account(engine, stand_in.base)
    expired = f"{stand_in.base}/attachments/expired.png?ex=1&is=2&hm=SIGNATURE"
    async with api() as client:
        path = await _result(client, engine, 1, image_url=expired)
        with caplog.at_level(logging.WARNING, logger="app.api.files"):
            reply = await client.get(path)
    assert reply.status_code == 502
    assert reply.json()["error"] == "the image is not available: HTTP 404 from 127.0.0.1"
    assert "HTTP 404 from 127.0.0.1" in caplog.text
    assert "SIGNATURE" not in reply.text and "SIGNATURE" not in caplog.text
    assert "/attachments/expired.png" not in reply.text + caplog.text


async def test_a_copy_that_times_out_says_so(api, engine, monkeypatch, caplog) -> None:
    """`str(TimeoutError())` is empty: the 502 and the log name the error class instead."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # never answers; ends when the client gives up
        await reader.read()
        writer.close()

    hanging = await asyncio.start_server(silent, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{hanging.sockets[0].getsockname()[1]}"
    monkeypatch.setattr("app.storage.archive.DOWNLOAD_TIMEOUT_S", 0.2)
    try:
        await _stand_in_account(engine, base)
        async with api() as client:
            path = await _result(client, engine, 1, image_url=f"{base}/attachments/slow.png")
            with caplog.at_level(logging.WARNING, logger="app.api.files"):
                reply = await client.get(path)
    finally:
        hanging.close()
        await hanging.wait_closed()
    assert reply.status_code == 502
    assert reply.json()["error"] == "the image is not available: TimeoutError"
    assert caplog.text.rstrip().endswith(": TimeoutError")


async def test_an_unexpected_error_on_files_logs_no_token(
    api, engine, servers, monkeypatch, caplog
) -> None:
    """The file token is a capability: the error log names the task and the file, not it."""
    stand_in, _ = servers
    await _stand_in_account(engine, stand_in.base)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("app.api.files.archive_file", broken)
    async with api() as client:
        path = await _result(client, engine, 1, image_url=f"{stand_in.base}/attachments/ok.png")
        _, _, task_id, token, name = path.split("/")
        transport = httpx.ASGITransport(app=client.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as raw:
            with caplog.at_level(logging.ERROR):
                reply = await raw.get(path)
    assert reply.status_code == 500 and token not in reply.text
    assert "boom" in caplog.text and f"/files/{task_id}/" in caplog.text and name in caplog.text
    assert token not in caplog.text
