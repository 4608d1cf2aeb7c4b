"""The Midjourney bot's slash commands: /imagine, /blend, /describe, /shorten, /info, modes."""

from __future__ import annotations

import hashlib
from typing import Any

from PIL import Image

from app.sandbox import image_codec, images
from app.sandbox.bot_flags import Flags
from app.sandbox.components import describe_components, shorten_components
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import DESCRIBE_COLOUR, embed, message
from app.sandbox.mj_controls import Controls
from app.sandbox.mj_jobs import JobRunner
from app.sandbox.mj_replies import describe_prompts, describe_text, shorten_prompts, shorten_text
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Memory, is_relaxed
from app.sandbox.mj_video import VideoJobs
from app.sandbox.prompts import aspect_of, parse_prompt, seed_of
from app.sandbox.snowflake import snowflake_timestamp

Json = dict[str, Any]


class Commands:
    def __init__(
        self, ctx: BotContext, respond: Respond, runner: JobRunner, memory: Memory
    ) -> None:
        self.ctx = ctx
        self.respond = respond
        self.runner = runner
        self.memory = memory
        self.controls = Controls(ctx, respond, memory)
        self.videos = VideoJobs(ctx, respond, runner, memory)

    async def run(self, it: Interaction, flags: Flags) -> None:
        handlers = {
            "imagine": self.imagine,
            "blend": self.blend,
            "describe": self.describe,
            "shorten": self.shorten,
        }
        handler = handlers.get(it.command)
        if handler is not None:
            await handler(it, flags)
        elif not self.controls.run(it):
            self.respond.notice(it, f"/{it.command} is not simulated by the mjrelay sandbox.")

    async def imagine(self, it: Interaction, flags: Flags, text: str | None = None) -> None:
        given = text if text is not None else str(it.options().get("prompt", ""))
        prompt = parse_prompt(it.prefs.profile.apply_to(given))
        relaxed = is_relaxed(it, prompt)
        if not self.respond.prompt_ok(it, prompt) or not self.respond.account_gate(it, relaxed):
            return
        if prompt.has("video"):
            await self.videos.imagine(it, flags, prompt)
            return
        tile = images.tile_size(aspect_of(prompt), self.ctx.speed.tile_long_side)
        bases: list[Image.Image | None] = []
        digests = []
        for url in prompt.image_urls:  # image prompts: only the sandbox's own CDN is reachable
            stored = self.ctx.read_cdn_url(url)
            decoded = image_codec.decode(stored) if stored is not None else None
            if decoded is not None and stored is not None:
                bases.append(decoded)
                digests.append(hashlib.sha256(stored).digest())
        seed = seed_of(prompt, self.ctx.seed)
        label_prompt, style = prompt.raw, self.respond.bot.style

        def render() -> Image.Image:
            shown = prompt.text or label_prompt
            return images.render_grid(
                shown, seed, f"imagine/{prompt.raw}", tile, bases or None, style=style
            )

        # Everything the picture depends on; the prompt by digest (it may be long).
        digest = hashlib.sha256(prompt.raw.encode()).digest()
        key = ("imagine", style, digest, seed, tile, tuple(digests))
        job = self.runner.new_job(
            it, it.origin(), prompt, "", "grid", render, tile, flags, render_key=key
        )
        await self.runner.start(job)

    async def blend(self, it: Interaction, flags: Flags) -> None:
        files = [it.option_file(f"image{i}") for i in range(1, 6)]
        uploads = [f for f in files if f is not None]
        if len({hashlib.sha256(f.data).digest() for f in uploads}) < len(uploads):
            self.respond.error(it, "duplicate_images")
            return
        decoded = [image_codec.decode(f.data) for f in uploads]
        if len(uploads) < 2 or any(image is None for image in decoded):
            self.respond.error(it, "invalid_link")
            return
        urls = [
            self.ctx.store_file(it.channel_id, f.filename, f.data, f.content_type)["url"]
            for f in uploads
        ]
        dimensions = str(it.options().get("dimensions") or "--ar 1:1")
        prompt = parse_prompt(" ".join([*urls, dimensions]))
        if not self.respond.account_gate(it, is_relaxed(it, prompt)):
            return
        tile = images.tile_size(aspect_of(prompt), self.ctx.speed.tile_long_side)
        salt = "blend/" + "/".join(hashlib.sha256(f.data).hexdigest()[:12] for f in uploads)
        seed, style = self.ctx.seed, self.respond.bot.style

        def render() -> Image.Image:
            return images.render_grid("blend", seed, salt, tile, list(decoded), "", 0.75, style)

        key = ("blend", style, seed, salt, tile)  # the salt names every upload by its digest
        job = self.runner.new_job(
            it, it.origin(), prompt, "", "grid", render, tile, flags, render_key=key
        )
        await self.runner.start(job)

    async def describe(
        self, it: Interaction, flags: Flags, source: Image.Image | None = None
    ) -> None:
        file = it.option_file("image")
        link = it.options().get("link")
        data = file.data if file else None
        if data is None and isinstance(link, str):
            data = self.ctx.read_cdn_url(link)
        image = source or (image_codec.decode(data) if data else None)
        if image is None:
            self.respond.error(it, "invalid_link")
            return
        if not self.respond.account_gate(it, relaxed=True):
            return
        start = self._reply_start(it)
        await self.ctx.speed.pause(self.ctx.speed.quick_delay * 2)
        prompts = describe_prompts(image, f"{self.ctx.seed}/{start['id']}")
        png = image_codec.encode_png(image)
        stored_image = self.ctx.store_file(
            it.channel_id, "describe.png", png, "image/png", image.size, ephemeral=True
        )
        picture = {
            "url": stored_image["url"],
            "proxy_url": stored_image["proxy_url"],
            "width": image.width,
            "height": image.height,
        }
        result = embed(None, describe_text(prompts), DESCRIBE_COLOUR, image=picture)
        self.memory.prompt_lists[start["id"]] = prompts
        self.memory.describe_sources[start["id"]] = image
        self._finish_reply(it, start, result, describe_components())

    async def shorten(self, it: Interaction, flags: Flags) -> None:
        prompt = parse_prompt(str(it.options().get("prompt", "")))
        if not prompt.text:
            self.respond.error(it, "empty_prompt")
            return
        start = self._reply_start(it)
        await self.ctx.speed.pause(self.ctx.speed.quick_delay)
        prompts, analysis = shorten_prompts(prompt.text)
        footer = {"text": "Click on a button to imagine one of the shortened prompts"}
        result = embed(None, shorten_text(prompts, analysis), DESCRIBE_COLOUR, footer=footer)
        self.memory.prompt_lists[start["id"]] = prompts
        self._finish_reply(it, start, result, shorten_components(len(prompts)))

    def _reply_start(self, it: Interaction) -> Json:
        """Describe/shorten: a deferred reply echoing the nonce, edited later with the result."""
        origin = it.origin()
        start = message(
            id=self.ctx.new_id(), type=20, channel_id=it.channel_id, guild_id=it.guild_id,
            author=self.respond.bot.user, mentions=[it.state.account.user()],
            application_id=self.respond.bot.application_id, nonce=it.nonce,
            interaction=origin.interaction(), interaction_metadata=origin.metadata(named=True),
            webhook_id=self.respond.bot.application_id,
        )  # fmt: skip
        return self.ctx.messenger().create(start, it.user_id)

    def _finish_reply(self, it: Interaction, start: Json, result: Json, components: list) -> None:
        done = {key: value for key, value in start.items() if key not in ("nonce", "webhook_id")}
        done.update(
            embeds=[result],
            components=components,
            edited_timestamp=snowflake_timestamp(self.ctx.new_id()),
        )
        self.ctx.messenger().update(done, it.user_id)
