"""Midjourney video jobs: `/imagine <image> … --video`, Animate, Extend, and a clip's upscale.

    imagine --video / Animate (High|Low motion) / Extend -> a video job (slot, progress,
    `Animating...`) -> one animated WebP grid with `video_virtual_upscale::1..N`
    video_virtual_upscale::N -> a reply with clip N as MP4 and Extend (High|Low motion)

Shapes are in `video_shapes`, media in `video_media`; a job runs through `JobRunner` like a
picture job. Turbo is refused for every video job (spec §5.1), `--end` must be a public https
link (or one of the sandbox's own CDN links).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from PIL import Image

from app.sandbox import image_codec, images
from app.sandbox.bot_flags import Flags
from app.sandbox.components import Click
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import message, reference, referenced
from app.sandbox.mj_jobs import JobRunner
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Memory, Result, is_relaxed, is_turbo
from app.sandbox.prompts import Prompt, aspect_of, parse_prompt, seed_of
from app.sandbox.video_media import VideoPlan, frame_size
from app.sandbox.video_shapes import (
    DEFAULT_BATCH,
    START_PREFIX,
    TURBO_REFUSED,
    clip_components,
    clip_filename,
    echo,
    final_content,
    grid_components,
    image_aspect,
    video_error,
    video_options,
)

Json = dict[str, Any]
INLINE_MAX_FRAMES_PIXELS = 96 * 96 * 16  # encoded on the event loop below this (a few ms)


class VideoJobs:
    def __init__(self, ctx: BotContext, respond: Respond, runner: JobRunner, memory: Memory):
        self.ctx = ctx
        self.respond = respond
        self.runner = runner
        self.memory = memory

    async def imagine(self, it: Interaction, flags: Flags, prompt: Prompt) -> None:
        """`/imagine <start image> [text] --video 1 [--motion] [--end loop|<url>] [--bs]`."""
        if self._refused(it, prompt, needs_image=True):
            return
        options = video_options(prompt)
        start, start_key = self._image(prompt.image_urls[0], "start")
        end, end_key = None, (options.end or "").encode()
        if options.end == "loop":
            end = start
        elif options.end:
            end, end_key = self._image(options.end.strip("<>"), "end")
        aspect = aspect_of(prompt) if prompt.has("ar", "aspect") else _aspect(start)
        seed = seed_of(prompt, self.ctx.seed)
        plan = self._plan(prompt, seed, f"video/{prompt.raw}", aspect, start, end, options.batch)
        digest = hashlib.sha256(prompt.raw.encode()).digest()
        key = ("video", plan.style, digest, seed, plan.size, start_key, end_key, plan.frames)
        await self._start(it, flags, prompt, echo(prompt, aspect), plan, key)

    async def animate(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None
    ) -> None:
        """Animate (High|Low motion) on an upscaled image: that image is the start frame."""
        given = parse_prompt(remix if remix is not None else result.prompt.raw)
        url = result.message["attachments"][0]["url"]
        prompt = _with_start(given, url)
        if self._refused(it, prompt, needs_image=False):
            return
        motion = video_options(prompt).motion if prompt.has("motion") else click.arg
        aspect = _aspect(result.image)
        plan = self._plan(
            prompt, self.ctx.seed, f"animate/{result.hash}/{prompt.raw}", aspect, result.image,
            None, video_options(prompt).batch, motion,
        )  # fmt: skip
        key = ("animate", plan.style, result.hash, prompt.raw, motion, plan.size, plan.frames)
        await self._start(it, flags, prompt, echo(prompt, aspect, motion), plan, key)

    async def extend(
        self, it: Interaction, flags: Flags, click: Click, result: Result, remix: str | None
    ) -> None:
        """Extend (High|Low motion) under clip N: N continued, so each new clip is longer."""
        assert result.video is not None
        given = parse_prompt(remix if remix is not None else result.prompt.raw)
        if not given.image_urls and result.prompt.image_urls:
            given = _with_start(given, result.prompt.image_urls[0])
        if self._refused(it, given, needs_image=False):
            return
        motion = video_options(given).motion if given.has("motion") else click.arg
        parent = result.video.clips[click.index - 1]
        aspect = _aspect(parent[0])
        batch = int(given.param("bs") or DEFAULT_BATCH)
        plan = self._plan(
            given, self.ctx.seed, f"extend/{result.hash}/{click.index}/{given.raw}", aspect,
            parent[-1], None, batch, motion, parents=(parent,),
        )  # fmt: skip
        key = ("extend", result.hash, click.index, given.raw, motion, plan.size)
        await self._start(it, flags, given, echo(given, aspect, motion), plan, key)

    async def upscale(self, it: Interaction, flags: Flags, click: Click, result: Result) -> None:
        """`video_virtual_upscale::N`: clip N as an MP4 reply to the grid; no slot, no progress."""
        media = result.video
        if media is None or click.index > len(media.clips):
            self.respond.error(it, "action_restricted")
            return
        speed = self.ctx.speed
        await speed.pause(speed.quick_delay)
        width, height = media.clips[0][0].size
        if width * height * len(media.clips[click.index - 1]) <= INLINE_MAX_FRAMES_PIXELS:
            mp4 = media.mp4(click.index)
        else:
            mp4 = await asyncio.to_thread(media.mp4, click.index)
        if flags.job.delay:
            await asyncio.sleep(flags.job.delay)
        if flags.job.drop_final:
            return
        name = clip_filename(result.hash, click.index)
        file = self.ctx.store_file(it.channel_id, name, mp4, "video/mp4", (width, height))
        mode = "relaxed" if is_relaxed(it, result.prompt) else "fast"
        bot, grid = self.respond.bot, result.message
        reply = message(
            id=self.ctx.new_id(), type=19, channel_id=it.channel_id, guild_id=it.guild_id,
            author=bot.user, content=final_content(result.echo, it.user_id, result.hash, mode),
            mentions=[it.state.account.user()], attachments=[file],
            components=clip_components(result.hash, click.index),
            application_id=bot.application_id, message_reference=reference(grid),
            referenced_message=referenced(grid), interaction_metadata=it.origin().metadata(),
        )  # fmt: skip
        emitter = self.ctx.messenger(flags.job.duplicate, flags.job.reorder)
        emitter.create(reply, it.user_id)
        emitter.release_held()

    def _refused(self, it: Interaction, prompt: Prompt, needs_image: bool) -> bool:
        """Reply with the bot's error and return True for a video job the bot refuses."""
        footer = f"/imagine {prompt.raw}"
        if is_turbo(it, prompt):  # spec §5.1, measured (KR)
            self.respond.error(it, "invalid_parameter", TURBO_REFUSED, footer=footer)
            return True
        problem = video_error(prompt, needs_image, self._own_link)
        if problem is not None:
            self.respond.error(it, problem[0], problem[1], footer=footer)
            return True
        return False

    def _own_link(self, url: str) -> bool:
        return self.ctx.read_cdn_url(url) is not None

    def _image(self, url: str, role: str) -> tuple[Image.Image, bytes]:
        """A frame from a link: the sandbox's CDN file, else a picture drawn from the link (the
        sandbox reaches no other host). Returns it and a digest of what it came from."""
        data = self.ctx.read_cdn_url(url)
        decoded = image_codec.decode(data) if data is not None else None
        if decoded is not None and data is not None:
            return decoded, hashlib.sha256(data).digest()
        side = self.ctx.speed.tile_long_side
        drawn = images.render_scene(url, self.ctx.seed, f"video-{role}", (side, side))
        return drawn, hashlib.sha256(url.encode()).digest()

    def _plan(
        self,
        prompt: Prompt,
        seed: int,
        salt: str,
        aspect: tuple[int, int],
        start: Image.Image,
        end: Image.Image | None,
        batch: int,
        motion: str | None = None,
        parents: tuple[tuple[Image.Image, ...], ...] = (),
    ) -> VideoPlan:
        speed = self.ctx.speed
        return VideoPlan(
            text=prompt.text or "video", seed=seed, salt=salt,
            size=frame_size(aspect, speed.tile_long_side), start=start, end=end,
            motion=motion or video_options(prompt).motion, batch=batch,
            frames=speed.video_frames, style=self.respond.bot.style, parents=parents,
        )  # fmt: skip

    async def _start(
        self, it: Interaction, flags: Flags, prompt: Prompt, shown: str, plan: VideoPlan, key: Any
    ) -> None:
        job = self.runner.new_job(
            it, it.origin(), prompt, "", "video", lambda: plan.start, plan.size, flags,
            video=plan, echo=shown, start_prefix=START_PREFIX, render_key=key,
            components=lambda job_hash: grid_components(job_hash, plan.batch),
        )  # fmt: skip
        await self.runner.start(job)


def _with_start(prompt: Prompt, url: str) -> Prompt:
    """`prompt` with `url` as its only image link (the start frame)."""
    return Prompt(raw=f"{url} {prompt.raw}".strip(), image_urls=[url], text=prompt.text,
                  params=[p for p in prompt.params if p[0] != "video"])  # fmt: skip


def _aspect(image: Image.Image) -> tuple[int, int]:
    return image_aspect(image.width, image.height)
