"""Vary (Region): the editor iframe a click opens, and its `submit-job` backend."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from PIL import Image

from app.sandbox import image_codec, images
from app.sandbox.bot_flags import Flags
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import Origin
from app.sandbox.mj_derive import Derive, base_image
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Memory, PendingIframe, Result
from app.sandbox.prompts import display_prompt, parse_prompt

Json = dict[str, Any]


class RegionEditor:
    def __init__(self, ctx: BotContext, respond: Respond, memory: Memory, derive: Derive) -> None:
        self.ctx = ctx
        self.respond = respond
        self.memory = memory
        self.derive = derive

    def open(self, it: Interaction, flags: Flags, result: Result) -> None:
        """The Vary (Region) button: an iframe modal whose token the editor submits back."""
        token = self.ctx.new_uuid().replace("-", "")
        self.memory.iframes[token] = PendingIframe(it, result, flags)
        self.respond.iframe(it, token, "Inpaint", "/inpaint/index.html")

    def submit(self, payload: Json) -> tuple[int, Json]:
        """`POST /inpaint/api/submit-job` (the Vary (Region) editor's backend)."""
        pending = self.memory.iframes.pop(str(payload.get("customId", "")), None)
        if pending is None:
            return 404, {"success": False, "message": "Unknown customId"}
        try:
            mask = image_codec.decode(base64.b64decode(str(payload.get("mask", "")), validate=True))
        except (binascii.Error, ValueError):
            mask = None
        if mask is None:
            self.memory.iframes[str(payload["customId"])] = pending  # let the client retry
            return 400, {"success": False, "message": "Invalid mask"}
        it, result = pending.it, pending.result
        text = str(payload.get("prompt") or "").strip() or result.prompt.raw
        origin = Origin(
            interaction_id=it.id, interaction_type=3, user=it.state.account.user(),
            guild_id=it.guild_id, interacted_message_id=result.message["id"],
        )  # fmt: skip
        base, seed, tile = base_image(result), self.ctx.seed, result.tile
        mask_l = mask.convert("L").resize(tile)
        shown = display_prompt(parse_prompt(text))

        def make_tile(i: int) -> Image.Image:
            scene = images.render_scene(shown, seed, f"region/{result.hash}/{i}", tile)
            return Image.composite(scene, base, mask_l)

        self.ctx.spawn(
            self.derive.grid(it, pending.flags, result, "Variations (Region) by ", make_tile,
                             origin=origin, prompt_text=text)
        )  # fmt: skip
        return 200, {"success": True}
