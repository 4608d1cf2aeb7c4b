"""A self-bot client written here from the protocol alone (websockets + httpx, nothing shared).

It does what proxies do at start (spec v2 §1.4 "sync practice"): look its commands up in the
application-command index, open /settings, read remix from the panel and turn it on; then it runs
imagine -> U1 -> V2 through the remix modal, following the gateway only.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import random
import time
import zlib
from typing import Any

import av
import httpx
import websockets

from app.sandbox import Sandbox

Json = dict[str, Any]
MIDJOURNEY = "936929561302675456"
NIJI = "1022952195194359889"


class SelfBot:
    def __init__(self, base_url: str, token: str, guild_id: str, channel_id: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=f"{base_url}/api/v9", headers={"Authorization": token}, timeout=10
        )
        self.token, self.guild_id, self.channel_id = token, guild_id, channel_id
        self.events: asyncio.Queue[Json] = asyncio.Queue()
        self.seen: list[Json] = []
        self.session_id = ""
        self.commands: dict[tuple[str, str], Json] = {}  # (application id, name) -> command
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
            self.commands[command["application_id"], command["name"]] = command

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

    async def interact(self, body: Json, application: str = MIDJOURNEY) -> str:
        nonce = self.nonce()
        body |= {
            "application_id": application,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "session_id": self.session_id,
            "nonce": nonce,
        }
        response = await self.http.post("/interactions", json=body)
        assert response.status_code == 204, response.text
        return nonce

    async def slash(
        self, name: str, options: list[Json] | None = None, application: str = MIDJOURNEY
    ) -> str:
        command = self.commands[application, name]
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
            },
            application,
        )

    async def press(self, message: Json, custom_id: str) -> str:
        return await self.interact(
            {
                "type": 3,
                "message_id": message["id"],
                "message_flags": message["flags"],
                "data": {"component_type": 2, "custom_id": custom_id},
            },
            message["author"]["id"],  # the bot whose message it is
        )

    async def result_of(self, nonce: str, application: str = MIDJOURNEY) -> Json:
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
                and d["author"]["id"] == application
            )
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._ws.close()
        await self.http.aclose()

    async def submit_modal(self, modal: Json, value: str, application: str = MIDJOURNEY) -> str:
        """Type 5 with every id read from the modal (as NZ+ and WM do) and a new nonce."""
        field = modal["components"][0]["components"][0]["custom_id"]
        row = {"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]}
        data = {"id": modal["id"], "custom_id": modal["custom_id"], "components": [row]}
        return await self.interact({"type": 5, "data": data}, application)

    async def modal_for(self, press: str) -> Json:
        return await self.next_event(
            lambda t, d: t == "INTERACTION_MODAL_CREATE" and d["nonce"] == press
        )

    async def download(self, url: str) -> bytes:
        response = await self.http.get(url)
        assert response.status_code == 200
        return response.content


def mp4_frames(data: bytes) -> int:
    """Frames of a playable H.264 MP4 (ftyp box first)."""
    assert data[4:8] == b"ftyp"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return sum(1 for _ in container.decode(stream))


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


async def test_a_self_bot_drives_niji_and_midjourney_video(sandbox: Sandbox) -> None:
    """niji imagine -> U1 (niji's ids, niji's author); Animate on that upscale; then Midjourney
    --video from it -> a clip (MP4) -> Extend through the animate modal -> a longer clip."""
    account = sandbox.accounts[0]
    bot = SelfBot(sandbox.base_url, account.token, account.guild_id, account.channel_id)
    await bot.start()
    try:
        assert bot.commands[NIJI, "imagine"]["id"] == "1023054140580057099"
        prompt = [{"type": 3, "name": "prompt", "value": "a girl under cherry trees --ar 3:2"}]
        grid = await bot.result_of(await bot.slash("imagine", prompt, NIJI), NIJI)
        single = await bot.result_of(
            await bot.press(grid, button(grid, "MJ::JOB::upsample::1::")), NIJI
        )
        assert grid["author"]["id"] == single["author"]["id"] == NIJI
        assert "journey Bot" in single["author"]["username"]

        animated = await bot.result_of(
            await bot.press(single, button(single, "MJ::JOB::animate_high::1::")), NIJI
        )
        assert animated["attachments"][0]["content_type"] == "image/webp"
        assert "cherry trees --ar 3:2 --motion high --video 1** - <@" in animated["content"]

        await bot.slash("prefer", [{"type": 1, "name": "remix", "options": []}])
        start = single["attachments"][0]["url"]
        prompt = [{"type": 3, "name": "prompt", "value": f"{start} petals fall --video 1 --bs 2"}]
        video = await bot.result_of(await bot.slash("imagine", prompt))
        assert (
            "[(Open on website for full quality)](<https://midjourney.com/jobs/" in video["content"]
        )
        clip = await bot.result_of(
            await bot.press(video, button(video, "MJ::JOB::video_virtual_upscale::2::"))
        )
        frames = mp4_frames(await bot.download(clip["attachments"][0]["url"]))
        press = await bot.press(clip, button(clip, "MJ::JOB::animate_low_extend::2::"))
        modal = await bot.modal_for(press)
        assert modal["custom_id"].startswith("MJ::AnimateModal::") and modal["custom_id"].endswith(
            "::2::low::1"
        )
        extended = await bot.result_of(
            await bot.submit_modal(modal, f"{start} petals swirl --video 1")
        )
        longer = await bot.result_of(
            await bot.press(extended, button(extended, "MJ::JOB::video_virtual_upscale::1::"))
        )
        assert mp4_frames(await bot.download(longer["attachments"][0]["url"])) > frames
    finally:
        await bot.close()
