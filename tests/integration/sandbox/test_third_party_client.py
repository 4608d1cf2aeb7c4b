"""An independent user-account client (discum, unchanged) runs imagine -> upscale on the sandbox.

Only its base URLs are configured: `Client.discord` (REST) and the gateway socket's URL.
discum posts slash commands as multipart `payload_json` and reads zlib-stream frames.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from app.sandbox import Sandbox

discum = pytest.importorskip("discum")

MJ = "936929561302675456"
IMAGINE = {
    "version": "1237876415471554623", "id": "938956540159881230", "name": "imagine", "type": 1,
    "options": [{"type": 3, "name": "prompt", "value": "a fox driven by discum"}],
    "attachments": [],
}  # fmt: skip


def run_discum(base_url: str, gateway_url: str, token: str, channel_id: str, guild_id: str):
    bot = discum.Client(token=token, build_num=222963, x_fingerprint="sandbox",
                        log={"console": False, "file": False})  # fmt: skip
    bot.discord = f"{base_url}/api/v9/"
    bot.gateway.RESTurl = bot.discord
    bot.gateway.ws = bot.gateway._get_ws_app(
        f"{gateway_url}/?encoding=json&v=9&compress=zlib-stream"
    )
    seen: dict[str, Any] = {"statuses": [], "grid": None, "upscale": None, "error": None}
    # discum handles each event in a thread of its own: the upscale can arrive (and close the
    # gateway) before the thread that clicked U1 has recorded the click's answer.
    clicked = threading.Event()

    @bot.gateway.command
    def on_event(resp: Any) -> None:
        try:
            if resp.event.ready:
                response = bot.triggerSlashCommand(MJ, channel_id, guild_id, data=IMAGINE)
                seen["statuses"].append(response.status_code)
            if not resp.event.message:
                return
            message = resp.parsed.auto()
            if message["author"]["id"] != MJ or not message.get("attachments"):
                return
            ids = [c["custom_id"] for row in message["components"] for c in row["components"]
                   if "custom_id" in c]  # fmt: skip
            if seen["grid"] is None:
                seen["grid"] = message
                u1 = next(i for i in ids if i.startswith("MJ::JOB::upsample::1::"))
                response = bot.click(
                    MJ, channelID=channel_id, guildID=guild_id, messageID=message["id"],
                    messageFlags=message["flags"], data={"component_type": 2, "custom_id": u1},
                )  # fmt: skip
                seen["statuses"].append(response.status_code)
                clicked.set()
            elif message.get("message_reference", {}).get("message_id") == seen["grid"]["id"]:
                seen["upscale"] = message
                bot.gateway.close()
        except Exception as exc:  # surface in the test, and stop the client
            seen["error"] = repr(exc)
            bot.gateway.close()

    runner = threading.Thread(target=lambda: bot.gateway.run(auto_reconnect=False), daemon=True)
    runner.start()
    runner.join(30)
    if seen["grid"] is not None:
        clicked.wait(10)
    return seen


async def test_discum_imagine_then_upscale(sandbox: Sandbox) -> None:
    account = sandbox.accounts[0]
    seen = await asyncio.to_thread(
        run_discum, sandbox.base_url, sandbox.gateway_url, account.token, account.channel_id,
        account.guild_id,
    )  # fmt: skip
    assert seen["error"] is None
    assert seen["statuses"] == [204, 204]
    assert seen["grid"]["content"] == f"**a fox driven by discum** - <@{account.user_id}> (fast)"
    assert seen["upscale"]["content"].startswith("**a fox driven by discum** - Image #1")
    # (discum's ms-based nonces can repeat within one millisecond, so compare actions instead)
    accepted = [(s.type, s.command or s.custom_id) for s in sandbox.submissions.accepted()]
    assert accepted[0] == (2, "imagine")
    assert accepted[1][0] == 3 and accepted[1][1].startswith("MJ::JOB::upsample::1::")
    assert len(accepted) == 2
