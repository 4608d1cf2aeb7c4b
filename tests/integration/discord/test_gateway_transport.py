"""GatewayClient over real sockets against a tiny scripted gateway (127.0.0.1).

These pin the transport's behaviour independently of the sandbox: resume after a TCP drop with
replay, 4004 fatal without retry, zombie detection, zlib-stream, clean shutdown.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.discord.gateway import GatewayClient
from app.discord.gateway_events import (
    Dispatch,
    GatewayEvent,
    GatewayFatal,
    Ready,
    Reconnecting,
    Resumed,
)

pytestmark = pytest.mark.timeout(30)
TOKEN = "good-token-xxxxxxxx"
SESSION = "a" * 32


class ScriptedGateway:
    def __init__(self, *, interval_ms: int = 300, ack: bool = True, drop_first: bool = False):
        self.interval_ms = interval_ms
        self.ack = ack
        self.drop_first = drop_first
        self.url = ""
        self.received: list[list[dict[str, Any]]] = []  # per connection
        self.paths: list[str] = []
        self.close_codes: list[int | None] = []
        self.missed = {"op": 0, "s": 3, "t": "MESSAGE_CREATE", "d": {"id": "missed"}}

    async def handler(self, ws: ServerConnection) -> None:
        frames: list[dict[str, Any]] = []
        self.received.append(frames)
        self.paths.append(ws.request.path if ws.request else "")
        compress = "compress=zlib-stream" in self.paths[-1]
        deflate = zlib.compressobj()

        async def send(payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            if compress:
                await ws.send(deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH))
            else:
                await ws.send(data.decode())

        await send({"op": 10, "d": {"heartbeat_interval": self.interval_ms}})
        try:
            async for raw in ws:
                frame = json.loads(raw)
                frames.append(frame)
                await self._answer(ws, frame, send)
        except ConnectionClosed:
            pass
        finally:
            self.close_codes.append(ws.close_code)

    async def _answer(self, ws: ServerConnection, frame: dict[str, Any], send: Any) -> None:
        op, d = frame["op"], frame["d"]
        if op == 1 and self.ack:
            await send({"op": 11, "d": None})
        elif op == 2:
            if d["token"] != TOKEN:
                await ws.close(4004, "Authentication failed.")
                return
            await send(
                {
                    "op": 0,
                    "s": 1,
                    "t": "READY",
                    "d": {
                        "v": 9,
                        "session_id": SESSION,
                        "resume_gateway_url": self.url,
                        "user": {"id": "1100000000000000001", "username": "testuser"},
                    },
                }
            )
            await send({"op": 0, "s": 2, "t": "MESSAGE_CREATE", "d": {"id": "first"}})
            if self.drop_first and len(self.received) == 1:
                assert ws.transport is not None
                ws.transport.abort()  # TCP drop without a close frame
        elif op == 6:
            if d["session_id"] == SESSION and d["seq"] == 2:
                await send(self.missed)
                await send({"op": 0, "s": 4, "t": "RESUMED", "d": {}})
            else:
                await send({"op": 9, "d": False})


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedGateway]:
    gateway = ScriptedGateway()
    async with serve(gateway.handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        gateway.url = f"ws://127.0.0.1:{port}"
        yield gateway


def _client(url: str, events: list[GatewayEvent], token: str = TOKEN, **kw: Any) -> GatewayClient:
    async def on_event(event: GatewayEvent) -> None:
        events.append(event)

    return GatewayClient(token, url=url, on_event=on_event, backoff_base=0.05, **kw)


async def _until(predicate: Any, within: float = 10.0) -> None:
    """Poll a condition on state the callbacks mutate (simpler than an Event per condition)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_identify_ready_and_heartbeats(scripted: ScriptedGateway) -> None:
    events: list[GatewayEvent] = []
    client = _client(scripted.url, events)
    task = asyncio.create_task(client.run())
    await _until(lambda: any(isinstance(e, Ready) for e in events))
    await _until(lambda: sum(f["op"] == 1 for f in scripted.received[0]) >= 2)
    await client.close()
    assert await task is None
    identify = scripted.received[0][0]
    assert identify["op"] == 2 and "intents" not in identify["d"]
    assert scripted.paths[0] == "/?v=9&encoding=json"
    await _until(lambda: scripted.close_codes == [1000])
    assert [type(e) for e in events[:2]] == [Ready, Dispatch]


async def test_resume_after_dropped_socket_replays(scripted: ScriptedGateway) -> None:
    scripted.drop_first = True
    events: list[GatewayEvent] = []
    client = _client(scripted.url, events)
    task = asyncio.create_task(client.run())
    await _until(lambda: any(isinstance(e, Resumed) for e in events))
    await client.close()
    await task
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Ready", "Dispatch", "Reconnecting", "Dispatch", "Resumed"]
    assert [e.seq for e in events if isinstance(e, Dispatch)] == [2, 3]
    reconnect = events[2]
    assert isinstance(reconnect, Reconnecting) and reconnect.resume
    assert scripted.received[1][0] == {
        "op": 6,
        "d": {"token": TOKEN, "session_id": SESSION, "seq": 2},
    }
    assert client.connections == 2


async def test_bad_token_is_fatal_without_retry(scripted: ScriptedGateway) -> None:
    events: list[GatewayEvent] = []
    client = _client(scripted.url, events, token="bad-token-yyyyyyyy")
    result = await asyncio.wait_for(client.run(), 5)
    assert isinstance(result, GatewayFatal) and result.close_code == 4004
    assert client.fatal == result and client.connections == 1
    await asyncio.sleep(0.3)  # nothing reconnects afterwards
    assert len(scripted.received) == 1
    assert events == [result]
    assert "bad-token" not in repr(client) and "bad-token" not in result.reason


async def test_missed_ack_reconnects_and_resumes(scripted: ScriptedGateway) -> None:
    scripted.ack = False
    scripted.interval_ms = 100
    events: list[GatewayEvent] = []
    client = _client(scripted.url, events)
    task = asyncio.create_task(client.run())
    await _until(lambda: any(isinstance(e, Resumed) for e in events))
    await client.close()
    await task
    assert scripted.close_codes[0] == 4000  # zombie close keeps the session resumable
    assert scripted.received[1][0]["op"] == 6


async def test_zlib_stream(scripted: ScriptedGateway) -> None:
    events: list[GatewayEvent] = []
    client = _client(scripted.url, events, compress=True)
    task = asyncio.create_task(client.run())
    await _until(lambda: any(isinstance(e, Dispatch) for e in events))
    await client.close()
    await task
    assert "compress=zlib-stream" in scripted.paths[0]
    assert isinstance(events[0], Ready) and events[0].session_id == SESSION


async def test_unreachable_gateway_backs_off() -> None:
    events: list[GatewayEvent] = []
    client = _client("ws://127.0.0.1:9", events)  # port 9 (discard): refused
    task = asyncio.create_task(client.run())
    await _until(lambda: len(events) >= 3)
    await client.close()
    assert await task is None
    delays = [e.delay for e in events if isinstance(e, Reconnecting)]
    assert delays[:3] == sorted(delays[:3]) and all(not e.resume for e in events)  # type: ignore[attr-defined]
