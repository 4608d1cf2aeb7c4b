"""Dashboard test helpers: the app on a real loopback port (SSE needs a real stream), SSE
parsing, and form posts the way a browser sends them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the test owns the process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_app(app: Starlette) -> AsyncIterator[str]:
    """Run `app` under uvicorn on 127.0.0.1 (a free port) in this loop; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = _Server(config)
    running = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if running.done():
                running.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(running, 10)
        sock.close()


@dataclass
class Event:
    event: str
    id: str | None
    data: Any


async def next_event(lines: AsyncIterator[str], timeout_s: float = 10.0) -> Event:
    """The next SSE message (comments and the retry hint skipped)."""

    async def read() -> Event:
        fields: dict[str, str] = {}
        async for line in lines:
            if line == "":
                if "event" in fields or "data" in fields:
                    data = json.loads(fields.get("data", "null"))
                    return Event(fields.get("event", "message"), fields.get("id"), data)
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise AssertionError("the event stream ended")

    return await asyncio.wait_for(read(), timeout_s)


@contextlib.asynccontextmanager
async def event_stream(
    base_url: str, query: str = "", **headers: str
) -> AsyncIterator[AsyncIterator[str]]:
    """`GET /events` open; yields its lines."""
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=20, trust_env=False) as client,
        client.stream("GET", f"/events{query}", headers=headers) as response,
    ):
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        yield response.aiter_lines()
