"""A minimal Discord user client for the sandbox tests, built on `websockets` + `httpx` only.

Written from the protocol spec, independent of app/discord (which must not be used here).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import websockets

from app.sandbox import SandboxAccount

Json = dict[str, Any]
MJ_APP = "936929561302675456"
PIKA_APP = "1123437775926251530"
COMMANDS = {  # name -> (id, version), from the spec's command table
    "imagine": ("938956540159881230", "1237876415471554623"),
    "blend": ("1062880104792997970", "1237876415471554624"),
    "describe": ("1092492867185950852", "1237876415471554625"),
    "shorten": ("1121575372539039774", "1247736572414001223"),
    "info": ("972289487818334209", "1237876415735660565"),
    "fast": ("972289487818334212", "1237876415735660572"),
    "relax": ("972289487818334213", "1237876415735660573"),
    "turbo": ("972289487818334214", "1237876415735660574"),  # the sandbox's own (spec: none)
    "settings": ("1000850743479255081", "1493662068581077053"),
    "prefer": ("984273800587776053", "1237876415790055476"),
}
# Loopback http only; one TLS context for all clients (building one per client costs ~40 ms).
_TLS = ssl.create_default_context()


def http_client(**options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=_TLS, **options)


async def post_honouring_rate_limits(
    client: httpx.AsyncClient, url: str, payload: Json, attempts: int = 20
) -> httpx.Response:
    """POST as a Discord client must: on 429 wait the body's `retry_after`, then send again
    (the sandbox enforces Discord's per-account limit, which a fast test loop can reach)."""
    for _ in range(attempts - 1):
        response = await client.post(url, json=payload)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.json().get("retry_after", 1.0)))
    return await client.post(url, json=payload)


_nonces = itertools.count(1_300_000_000_000_000_001)


def new_nonce() -> str:
    return str(next(_nonces))


class GatewayClient:
    """Connects, identifies or resumes, and records every frame it receives."""

    def __init__(self, url: str, token: str, compress: bool = False) -> None:
        self.url = url
        self.token = token
        self.compress = compress
        self.frames: list[Json] = []
        self.session_id: str | None = None
        self.seq: int | None = None
        self.close_code: int | None = None
        self.ready: Json | None = None
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._inflate = zlib.decompressobj()

    async def open(self, query: str | None = None) -> Json:
        """Open a socket and return HELLO."""
        query = query or ("v=9&encoding=json" + ("&compress=zlib-stream" if self.compress else ""))
        self._inflate = zlib.decompressobj()
        self.close_code = None
        self._ws = await websockets.connect(f"{self.url}/?{query}", compression=None)
        self._reader = asyncio.create_task(self._read())
        return await self.wait(lambda f: f.get("op") == 10, start=len(self.frames))

    async def identify(self) -> Json:
        start = len(self.frames)
        await self.send({"op": 2, "d": {"token": self.token, "capabilities": 16381,
                                        "properties": {"os": "Linux"}}})  # fmt: skip
        ready = await self.wait(lambda f: f.get("t") == "READY", start=start)
        await self.wait(lambda f: f.get("t") == "READY_SUPPLEMENTAL", start=start)
        self.ready = ready["d"]
        self.session_id = ready["d"]["session_id"]
        return ready

    async def connect(self) -> Json:
        await self.open()
        return await self.identify()

    async def resume(self) -> None:
        await self.send(
            {"op": 6, "d": {"token": self.token, "session_id": self.session_id, "seq": self.seq}}
        )

    async def send(self, frame: Json) -> None:
        await self._ws.send(json.dumps(frame))

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                if isinstance(raw, bytes):
                    raw = self._inflate.decompress(raw).decode()
                frame = json.loads(raw)
                if frame.get("s") is not None:
                    self.seq = frame["s"]
                async with self._changed:
                    self.frames.append(frame)
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            async with self._changed:
                self._changed.notify_all()

    async def wait(self, predicate: Callable[[Json], bool], start: int = 0, within: float = 5):
        """The first frame at index >= start matching predicate."""

        async def find() -> Json:
            async with self._changed:
                while True:
                    for frame in self.frames[start:]:
                        if predicate(frame):
                            return frame
                    if self.close_code is not None and self._reader and self._reader.done():
                        raise ConnectionError(f"gateway closed with {self.close_code}")
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)

    async def wait_closed(self, within: float = 5) -> int | None:
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self.close_code

    def dispatches(self, event: str | None = None) -> list[Json]:
        return [f for f in self.frames if f.get("op") == 0 and event in (None, f.get("t"))]

    async def close(self, code: int = 1000) -> None:
        if self._ws is not None:
            await self._ws.close(code)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


def interaction_command(account: SandboxAccount, name: str, options: list[Json],
                        attachments: list[Json] | None = None, app: str = MJ_APP,
                        command: tuple[str, str] | None = None) -> Json:  # fmt: skip
    command_id, version = command or COMMANDS[name]
    return {
        "type": 2, "application_id": app, "guild_id": account.guild_id,
        "channel_id": account.channel_id, "session_id": "f1a313a09ce079ce252459dc70231f30",
        "nonce": new_nonce(),
        "data": {"version": version, "id": command_id, "name": name, "type": 1,
                 "options": options, "attachments": attachments or []},
    }  # fmt: skip


def interaction_click(account: SandboxAccount, message: Json, custom_id: str) -> Json:
    return {
        "type": 3, "application_id": message["author"]["id"], "guild_id": account.guild_id,
        "channel_id": account.channel_id, "message_id": message["id"],
        "message_flags": message["flags"], "session_id": "f1a313a09ce079ce252459dc70231f30",
        "nonce": new_nonce(), "data": {"component_type": 2, "custom_id": custom_id},
    }  # fmt: skip


def interaction_modal(account: SandboxAccount, modal: Json, value: str) -> Json:
    field = modal["components"][0]["components"][0]["custom_id"]
    return {
        "type": 5, "application_id": MJ_APP, "guild_id": account.guild_id,
        "channel_id": account.channel_id, "session_id": "f1a313a09ce079ce252459dc70231f30",
        "nonce": new_nonce(),
        "data": {"id": modal["id"], "custom_id": modal["custom_id"],
                 "components": [{"type": 1, "components": [
                     {"type": 4, "custom_id": field, "value": value}]}]},
    }  # fmt: skip


def button_ids(message: Json) -> list[str]:
    return [
        item["custom_id"]
        for row in message["components"]
        for item in row["components"]
        if "custom_id" in item
    ]


def find_button(message: Json, prefix: str) -> str:
    for custom_id in button_ids(message):
        if custom_id.startswith(prefix):
            return custom_id
    raise AssertionError(f"no button {prefix!r} in {button_ids(message)}")


class Driver:
    """One account: a gateway client + REST client, with job-level helpers."""

    def __init__(self, base_url: str, gateway_url: str, account: SandboxAccount) -> None:
        self.account = account
        self.base_url = base_url
        self.gateway = GatewayClient(gateway_url, account.token)
        self.http = http_client(
            base_url=f"{base_url}/api/v9", headers={"Authorization": account.token}, timeout=10
        )

    async def post_interaction(self, payload: Json, expect: int = 204) -> httpx.Response:
        response = await post_honouring_rate_limits(self.http, "/interactions", payload)
        assert response.status_code == expect, response.text
        return response

    async def imagine(self, prompt: str) -> str:
        payload = interaction_command(
            self.account, "imagine", [{"type": 3, "name": "prompt", "value": prompt}]
        )
        await self.post_interaction(payload)
        return payload["nonce"]

    async def click(self, message: Json, custom_id: str) -> str:
        payload = interaction_click(self.account, message, custom_id)
        await self.post_interaction(payload)
        return payload["nonce"]

    async def interaction_id(self, nonce: str) -> str:
        frame = await self.gateway.wait(
            lambda f: f.get("t") == "INTERACTION_CREATE" and f["d"]["nonce"] == nonce
        )
        return frame["d"]["id"]

    async def final(self, nonce: str, within: float = 10) -> Json:
        """The job's final message: a MESSAGE_CREATE with attachments for its interaction."""
        interaction_id = await self.interaction_id(nonce)
        frame = await self.gateway.wait(
            lambda f: (
                f.get("t") == "MESSAGE_CREATE"
                and f["d"].get("interaction_metadata", {}).get("id") == interaction_id
                and bool(f["d"]["attachments"])
                and f["d"]["channel_id"] == self.account.channel_id
            ),
            within=within,
        )
        return frame["d"]

    async def nonce_message(self, nonce: str) -> Json:
        frame = await self.gateway.wait(
            lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"].get("nonce") == nonce
        )
        return frame["d"]

    async def upload(self, data: bytes, filename: str = "image.png") -> str:
        response = await self.http.post(
            f"/channels/{self.account.channel_id}/attachments",
            json={"files": [{"id": "0", "filename": filename, "file_size": len(data)}]},
        )
        assert response.status_code == 200, response.text
        slot = response.json()["attachments"][0]
        put = await self.http.put(
            slot["upload_url"], content=data, headers={"Content-Type": "image/png"}
        )
        assert put.status_code == 200
        return slot["upload_filename"]

    async def aclose(self) -> None:
        await self.gateway.close()
        await self.http.aclose()
