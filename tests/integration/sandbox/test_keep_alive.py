"""The sandbox keeps an idle keep-alive connection open as Discord's edge does (longer than a
client pool's expiry), so a request on a reused connection is not lost to a close race."""

from __future__ import annotations

import asyncio

from app.sandbox import Sandbox
from app.sandbox.server import KEEP_ALIVE_S

HTTPX_POOL_EXPIRY_S = 5.0  # httpx's default keepalive_expiry, what the worker's client uses


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> bytes:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: sandbox\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0]


async def test_an_idle_connection_outlives_the_client_pool_expiry(sandbox: Sandbox) -> None:
    assert KEEP_ALIVE_S > 2 * HTTPX_POOL_EXPIRY_S
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        assert b"200" in await _get(reader, writer, "/api/v9/gateway")
        await asyncio.sleep(HTTPX_POOL_EXPIRY_S + 1)  # past uvicorn's default of 5 s
        assert b"200" in await _get(reader, writer, "/api/v9/gateway")
    finally:
        writer.close()
