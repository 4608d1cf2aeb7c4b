"""A minimal Discord user client for measuring the sandbox: gateway, REST and CDN, nothing else.

`AccountClient` holds one account's gateway socket (identify, then read every dispatch); each of
its `Lane`s is one keep-alive HTTP/1.1 connection running one job at a time: `POST /interactions`
(`/imagine`), the job's final message from the gateway, then its image from the CDN, as a bridge
would. The HTTP side is a few lines over asyncio streams rather than a full client, so the
client spends less CPU per job than the sandbox does and the measure is the sandbox's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from typing import Any
from urllib.parse import urlsplit

import websockets

from app.sandbox import SandboxAccount

Json = dict[str, Any]
MJ_APP = "936929561302675456"
IMAGINE = ("938956540159881230", "1237876415471554623")  # command id, version (spec table)
_nonces = itertools.count(1_400_000_000_000_000_001)


class Http:
    """One keep-alive HTTP/1.1 connection; answers must carry Content-Length (Starlette's do)."""

    IDLE_S = 2.0  # reconnect after this long unused: uvicorn closes idle ones after 5 s

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        now = time.monotonic()
        if self._writer is not None and now - self._used > self.IDLE_S:
            await self.aclose()  # never send into a connection the server may be closing
            self._writer = None
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        content = await self._reader.readexactly(length) if length else b""
        self._used = time.monotonic()
        return int(status_line.split(" ", 2)[1]), content

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()


class AccountClient:
    def __init__(self, base_url: str, account: SandboxAccount, fetch_images: bool = True) -> None:
        self.account = account
        self.fetch_images = fetch_images
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.gateway_url = base_url.replace("http://", "ws://", 1)
        self.image_bytes = 0
        self.frames = 0
        self._finals: dict[str, asyncio.Future[Json]] = {}  # nonce -> the job's final message
        self._nonces: dict[str, str] = {}  # interaction id -> nonce
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lanes: list[Http] = []

    async def connect(self) -> None:
        self._ws = await websockets.connect(
            f"{self.gateway_url}/?v=9&encoding=json", compression=None, max_size=None
        )
        hello = json.loads(await self._ws.recv())
        assert hello["op"] == 10, hello
        identify = {"op": 2, "d": {"token": self.account.token, "properties": {"os": "Linux"}}}
        await self._ws.send(json.dumps(identify))
        while json.loads(await self._ws.recv()).get("t") != "READY_SUPPLEMENTAL":
            pass
        self._reader = asyncio.create_task(self._read())

    def lane(self) -> Http:
        lane = Http(self.host, self.port)
        self._lanes.append(lane)
        return lane

    async def _read(self) -> None:
        channel = f'"channel_id":"{self.account.channel_id}"'
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                self.frames += 1
                # Every account of the guild sees every message: skip others' unparsed.
                if channel not in raw and '"INTERACTION_CREATE"' not in raw[:64]:
                    continue
                frame = json.loads(raw)
                kind = frame.get("t")
                data = frame.get("d") or {}
                if kind == "INTERACTION_CREATE":
                    self._nonces[str(data["id"])] = str(data.get("nonce"))
                elif kind == "MESSAGE_CREATE" and data.get("attachments"):
                    interaction = (data.get("interaction_metadata") or {}).get("id")
                    final = self._finals.pop(self._nonces.pop(str(interaction), ""), None)
                    if final is not None and not final.done():
                        final.set_result(data)

    async def imagine(self, lane: Http, prompt: str) -> Json:
        """One whole job: submit, the final message over the gateway, the image from the CDN."""
        nonce = str(next(_nonces))
        done: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._finals[nonce] = done
        account = self.account
        payload = {
            "type": 2, "application_id": MJ_APP, "guild_id": account.guild_id,
            "channel_id": account.channel_id, "session_id": "bench", "nonce": nonce,
            "data": {"version": IMAGINE[1], "id": IMAGINE[0], "name": "imagine", "type": 1,
                     "options": [{"type": 3, "name": "prompt", "value": prompt}]},
        }  # fmt: skip
        headers = {"Authorization": account.token, "Content-Type": "application/json"}
        status, body = await lane.request(
            "POST", "/api/v9/interactions", json.dumps(payload).encode(), headers
        )
        if status != 204:
            self._finals.pop(nonce, None)
            raise RuntimeError(f"interaction refused: {status} {body[:200]!r}")
        final = await asyncio.wait_for(done, 60)
        if self.fetch_images:
            url = urlsplit(final["attachments"][0]["url"])
            status, image = await lane.request("GET", f"{url.path}?{url.query}")
            if status != 200:
                raise RuntimeError(f"CDN answered {status}")
            self.image_bytes += len(image)
        return final

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
