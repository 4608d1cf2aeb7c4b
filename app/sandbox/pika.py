"""The simulated Pika bot: `/create` (text, optional image) and `/animate` (image + text).

Pika's real Discord shapes are not captured anywhere (spec §5), so this is the parameterised
"video bot" the spec recommends: a start reply echoing the nonce, progress edits, then a new
message with one MP4 and three buttons, and the start reply deleted.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from PIL import Image

from app.sandbox import image_codec, video
from app.sandbox.bot_flags import Flags, read_flags
from app.sandbox.bounds import BOT_RECORDS, BoundedDict
from app.sandbox.components import button, parse_custom_id, row
from app.sandbox.context import BotContext, Messenger
from app.sandbox.interactions import Interaction
from app.sandbox.messages import PIKA_APPLICATION_ID, PIKA_BOT, RED, embed, message
from app.sandbox.prompts import parse_prompt
from app.sandbox.snowflake import snowflake_timestamp

Json = dict[str, Any]


def video_filename(prompt: str, seed: int) -> str:
    words = re.sub(r"[^A-Za-z0-9 ]+", "", prompt).split()
    return f"{'_'.join(words)[:60] or 'video'}_seed{seed}.mp4"


class PikaBot:
    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        # message id -> (prompt shown, source picture, user): the newest BOT_RECORDS
        self.videos: dict[str, tuple[str, Image.Image | None, str]] = BoundedDict(BOT_RECORDS)

    def accept(self, it: Interaction) -> None:
        self.ctx.spawn(self.handle(it))

    async def handle(self, it: Interaction) -> None:
        flags = read_flags(self.ctx, it)  # the same fault flags as the Midjourney bot
        ctx = self.ctx
        ctx.emit("INTERACTION_CREATE", {"id": it.id, "nonce": it.nonce}, it.user_id)
        if flags.failure:
            data = {"id": it.id, "nonce": it.nonce, "reason_code": 2}
            ctx.emit("INTERACTION_FAILURE", data, it.user_id, it.session_id)
            return
        data = {"id": it.id, "nonce": it.nonce}
        ctx.emit("INTERACTION_SUCCESS", data, it.user_id, it.session_id)
        if flags.silent:
            return
        if it.type == 3:
            await self._click(it, flags)
            return
        options = it.options()
        text = str(options.get("prompt") or "")
        upload = it.option_file("image")
        source = image_codec.decode(upload.data) if upload else None
        if (it.command == "animate" and source is None) or (upload and source is None):
            self._error(it, "Invalid image", "Please attach a PNG, JPEG or WebP image.")
            return
        await self._generate(it, flags, text, source)

    async def _click(self, it: Interaction, flags: Flags) -> None:
        click = parse_custom_id(it.custom_id)
        job = self.videos.get(click.hash) if click else None
        if click is None or job is None or job[2] != it.user_id:
            self._error(it, "Not allowed", "You can only use the buttons of your own videos.")
            return
        if click.arg == "delete":
            message_ = self.ctx.find_message(it.channel_id, click.hash, it.user_id)
            if message_ is not None:
                self.ctx.messenger().delete(message_, it.user_id)
            return
        text, source, _ = job
        await self._generate(it, flags, text, source)

    def _error(self, it: Interaction, title: str, description: str) -> None:
        reply = self._reply(it, "", embeds=[embed(title, description, RED)], flags=64)
        self.ctx.messenger().create(reply, it.user_id)

    def _reply(self, it: Interaction, content: str, **fields: Any) -> Json:
        origin = it.origin()
        return message(
            id=self.ctx.new_id(), type=20 if it.type == 2 else 0, channel_id=it.channel_id,
            guild_id=it.guild_id, author=PIKA_BOT, content=content,
            mentions=[it.state.account.user()], application_id=PIKA_APPLICATION_ID,
            nonce=it.nonce, interaction=origin.interaction(),
            interaction_metadata=origin.metadata(), **fields,
        )  # fmt: skip

    async def _generate(
        self, it: Interaction, flags: Flags, text: str, source: Image.Image | None
    ) -> None:
        speed = self.ctx.speed
        emitter = self.ctx.messenger(flags.job.duplicate, flags.job.reorder)
        prompt = parse_prompt(text)
        shown = prompt.text or "animated image"
        user = f"<@{it.user_id}>"
        start = emitter.create(
            self._reply(it, f"{user} is generating: **{shown}** (0%)"), it.user_id
        )
        seed = self.ctx.rng.randrange(10**18, 10**19)
        task = asyncio.to_thread(video.render_video, shown, seed % 2**31, source)
        mp4 = await task
        for percent in (25, 50, 75):
            await speed.pause(speed.quick_delay)
            updated = {k: v for k, v in start.items() if k != "nonce"}
            updated.update(
                content=f"{user} is generating: **{shown}** ({percent}%)",
                edited_timestamp=snowflake_timestamp(self.ctx.new_id()),
            )
            emitter.update(updated, it.user_id, late=True)
        if flags.job.delay:
            await asyncio.sleep(flags.job.delay)
        await speed.pause(speed.quick_delay)
        if flags.job.drop_final:
            return
        self._post_video(it, emitter, start, shown, source, seed, mp4)

    def _post_video(
        self,
        it: Interaction,
        emitter: Messenger,
        start: Json,
        shown: str,
        source: Image.Image | None,
        seed: int,
        mp4: bytes,
    ) -> None:
        name = video_filename(shown, seed)
        file = self.ctx.store_file(it.channel_id, name, mp4, "video/mp4", video.DEFAULT_SIZE)
        message_id = self.ctx.new_id()
        buttons = row(
            button(f"pika::retry::{message_id}", emoji="🔄"),
            button(f"pika::remix::{message_id}", emoji="🔀"),
            button(f"pika::delete::{message_id}", emoji="❌"),
        )
        final = message(
            id=message_id, type=0, channel_id=it.channel_id, guild_id=it.guild_id,
            author=PIKA_BOT, content=f"Prompt: {shown} - Author: <@{it.user_id}>",
            mentions=[it.state.account.user()], attachments=[file], components=[buttons],
            application_id=PIKA_APPLICATION_ID, interaction_metadata=it.origin().metadata(),
        )  # fmt: skip
        self.videos[message_id] = (shown, source, it.user_id)
        emitter.create(final, it.user_id)
        emitter.delete(start, it.user_id)
        emitter.release_held()
