"""A self-bot client written here from the protocol alone (websockets + httpx, nothing shared).

It does what proxies do at start (spec v2 §1.4 "sync practice"): look its commands up in the
application-command index, open /settings, read remix from the panel and turn it on; then it runs
imagine -> U1 -> V2 through the remix modal, following the gateway only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import zlib
from typing import Any

import httpx
import websockets

from app.sandbox import Sandbox

Json = dict[str, Any]
MIDJOURNEY = "936929561302675456"


class SelfBot:
    def __init__(self, base_url: str, token: str, guild_id: str, channel_id: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=f"{base_url}/api/v9", headers={"Authorization": token}, timeout=10
        )
        self.token, self.guild_id, self.channel_id = token, guild_id, channel_id
        self.events: asyncio.Queue[Json] = asyncio.Queue()
        self.seen: list[Json] = []
        self.session_id = ""
        self.commands: dict[str, Json] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._ws: Any = None

    async def start(self) -> None:
        gateway = (await self.http.get("/gateway")).json()["url"]
        self._ws = await websockets.connect(f"{gateway}/?v=9&encoding=json&compress=zlib-stream")
        inflate = zlib.decompressobj()
        hello = json.loads(inflate.decompress(await self._ws.recv()))
        assert hello["op"] == 10
        self._tasks.append(asyncio.create_task(self._read(inflate)))
        self._tasks.append(asyncio.create_task(self._beat(hello["d"]["heartbeat_interval"])))
        await self._ws.send(
            json.dumps(
                {
                    "op": 2,
                    "d": {
                        "token": self.token,
                        "capabilities": 30717,
                        "compress": False,
                        "properties": {"os": "Linux", "browser": "Chrome", "device": ""},
                        "presence": {
                            "status": "online",
                            "since": 0,
                            "activities": [],
                            "afk": False,
                        },
                    },
                }
            )
        )
        ready = await self.next_event(lambda t, d: t == "READY")
        self.session_id = ready["session_id"]
        index = await self.http.get(f"/guilds/{self.guild_id}/application-command-index")
        for command in index.json()["application_commands"]:
            if command["application_id"] == MIDJOURNEY:
                self.commands[command["name"]] = command

    async def _read(self, inflate: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                frame = json.loads(inflate.decompress(raw))
                if frame["op"] == 0:
                    await self.events.put(frame)

    async def _beat(self, interval_ms: int) -> None:
        while True:
            await asyncio.sleep(interval_ms / 1000)
            await self._ws.send(json.dumps({"op": 1, "d": None}))

    async def next_event(self, match: Any, within: float = 10) -> Json:
        """The first dispatch (seen before or arriving) for which match(type, data) holds."""
        for frame in self.seen:
            if match(frame["t"], frame["d"]):
                return frame["d"]
        deadline = time.monotonic() + within
        while True:
            frame = await asyncio.wait_for(self.events.get(), deadline - time.monotonic())
            self.seen.append(frame)
            if match(frame["t"], frame["d"]):
                return frame["d"]

    def nonce(self) -> str:
        return str((int(time.time() * 1000) - 1420070400000) << 22 | random.getrandbits(22))

    async def interact(self, body: Json) -> str:
        nonce = self.nonce()
        body |= {
            "application_id": MIDJOURNEY,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "session_id": self.session_id,
            "nonce": nonce,
        }
        response = await self.http.post("/interactions", json=body)
        assert response.status_code == 204, response.text
        return nonce

    async def slash(self, name: str, options: list[Json] | None = None) -> str:
        command = self.commands[name]
        return await self.interact(
            {
                "type": 2,
                "data": {
                    "version": command["version"],
                    "id": command["id"],
                    "name": name,
                    "type": 1,
                    "options": options or [],
                    "attachments": [],
                },
            }
        )

    async def press(self, message: Json, custom_id: str) -> str:
        return await self.interact(
            {
                "type": 3,
                "message_id": message["id"],
                "message_flags": message["flags"],
                "data": {"component_type": 2, "custom_id": custom_id},
            }
        )

    async def result_of(self, nonce: str) -> Json:
        """The final message of the job this nonce started (via INTERACTION_SUCCESS's id)."""
        done = await self.next_event(
            lambda t, d: t == "INTERACTION_SUCCESS" and d["nonce"] == nonce
        )
        return await self.next_event(
            lambda t, d: (
                t == "MESSAGE_CREATE"
                and d["channel_id"] == self.channel_id
                and d.get("interaction_metadata", {}).get("id") == done["id"]
                and bool(d["attachments"])
                and d["author"]["id"] == MIDJOURNEY
            )
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._ws.close()
        await self.http.aclose()


def buttons(message: Json) -> dict[str, Json]:
    return {
        c["custom_id"]: c
        for row in message["components"]
        for c in row["components"]
        if "custom_id" in c
    }


def button(message: Json, prefix: str) -> str:
    return next(custom_id for custom_id in buttons(message) if custom_id.startswith(prefix))


async def test_a_self_bot_reads_settings_turns_remix_on_and_remixes_v2(sandbox: Sandbox) -> None:
    account = sandbox.accounts[1]
    bot = SelfBot(sandbox.base_url, account.token, account.guild_id, account.channel_id)
    await bot.start()
    try:
        nonce = await bot.slash("settings")
        panel = await bot.next_event(
            lambda t, d: (
                t == "MESSAGE_UPDATE"
                and d.get("interaction_metadata", {}).get("name") == "settings"
            )
        )
        remix = buttons(panel)["MJ::Settings::RemixMode"]
        assert remix["label"] == "Remix mode" and remix["style"] == 2  # off at the start
        await bot.press(panel, "MJ::Settings::RemixMode")
        edited = await bot.next_event(
            lambda t, d: (
                t == "MESSAGE_UPDATE"
                and d["id"] == panel["id"]
                and buttons(d)["MJ::Settings::RemixMode"]["style"] == 3
            )
        )
        assert edited["flags"] == 64 and nonce

        grid = await bot.result_of(
            await bot.slash(
                "imagine", [{"type": 3, "name": "prompt", "value": "a lighthouse at night"}]
            )
        )
        single = await bot.result_of(await bot.press(grid, button(grid, "MJ::JOB::upsample::1::")))
        assert "Image #1" in single["content"]
        press = await bot.press(grid, button(grid, "MJ::JOB::variation::2::"))
        modal = await bot.next_event(
            lambda t, d: t == "INTERACTION_MODAL_CREATE" and d["nonce"] == press
        )
        field = modal["components"][0]["components"][0]
        assert modal["custom_id"].startswith("MJ::RemixModal::") and modal["custom_id"].endswith(
            "::2::1"
        )
        submit = await bot.interact(
            {
                "type": 5,
                "data": {
                    "id": modal["id"],
                    "custom_id": modal["custom_id"],
                    "components": [
                        {
                            "type": 1,
                            "components": [
                                {
                                    "type": 4,
                                    "custom_id": field["custom_id"],
                                    "value": "a lighthouse in a storm",
                                }
                            ],
                        }
                    ],
                },
            }
        )
        remixed = await bot.result_of(submit)
        assert remixed["content"].startswith("**a lighthouse in a storm** - Remix (Strong) by <@")
        assert remixed["content"].endswith("(fast)")
    finally:
        await bot.close()
