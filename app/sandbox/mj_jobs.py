"""One Midjourney job's message lifecycle: queue slot, start, progress, final, delete.

    [Job queued] -> (Waiting to start) -> (15%) ... (78%) -> final MESSAGE_CREATE -> DELETE start

A job's picture is drawn and encoded once (`render_cache.prepare`: the final PNG and every
progress JPEG), kept by what it was drawn from when the job names that (`Job.render_key`), and
drawn in a worker thread unless it is small (`instant`'s pictures cost less than the hand-over).
Speeds change the pauses between steps and the size of the pictures.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from app.sandbox.bot_flags import Flags
from app.sandbox.components import Component, progress_components
from app.sandbox.context import BotContext, Messenger
from app.sandbox.interactions import Interaction
from app.sandbox.messages import (
    WARNING,
    Origin,
    embed,
    message,
    reference,
    referenced,
)
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Job, Memory, Result, is_relaxed
from app.sandbox.prompts import Prompt, filename_slug
from app.sandbox.render_cache import RenderCache, Rendered, prepare
from app.sandbox.slots import QueueFull
from app.sandbox.snowflake import snowflake_timestamp
from app.sandbox.video_media import VideoMedia, prepare_video
from app.sandbox.video_shapes import ANIMATING, DISPLAYING, final_content

Json = dict[str, Any]
INLINE_MAX_PIXELS = 256 * 256  # drawn on the event loop below this: ~1 ms, less than a thread hop


class JobRunner:
    def __init__(self, ctx: BotContext, respond: Respond, memory: Memory) -> None:
        self.ctx = ctx
        self.respond = respond
        self.memory = memory
        self.renders: RenderCache[Rendered] = RenderCache()
        self.videos: RenderCache[VideoMedia] = RenderCache()
        self.bot = respond.bot

    def new_job(
        self,
        it: Interaction,
        origin: Origin,
        prompt: Prompt,
        label: str,
        kind: str,
        render: Any,
        tile: tuple[int, int],
        flags: Flags,
        **options: Any,
    ) -> Job:
        return Job(
            it=it, origin=origin, prompt=prompt, label=label, kind=kind, render=render, tile=tile,
            hash=self.ctx.new_uuid(), faults=flags.job, relaxed=is_relaxed(it, prompt),
            **options,
        )  # fmt: skip

    async def start(self, job: Job) -> None:
        """Run the job in one of the account's slots, queued or refused ("Queue full")."""
        slots = job.it.state.slots
        waiter = None
        if job.uses_slot:
            try:
                waiter = slots.acquire()
            except QueueFull:
                self.respond.error(job.it, "queue_full", origin=job.origin)
                return
        holding = job.uses_slot and waiter is None
        emitter = self.ctx.messenger(job.faults.duplicate, job.faults.reorder)
        try:
            if waiter is not None:
                self._post_queued(job, emitter)
                job.echo_nonce = False  # the nonce went out on the "Job queued" message
                self.memory.queued[job.hash] = job
                try:
                    await waiter
                except asyncio.CancelledError:
                    slots.forget(waiter)
                    raise
                finally:
                    self.memory.queued.pop(job.hash, None)
                holding = True
            await self._run_started(job, emitter)
        finally:
            if holding:
                slots.release()

    def _post_queued(self, job: Job, emitter: Messenger) -> None:
        description = (
            "You have reached the maximum allowed number of concurrent jobs. "
            "Don't worry, this job will start as soon as another one finishes!"
        )
        footer = {"text": f"/imagine {job.prompt.raw}"}
        self._ephemeral(job, emitter, [embed("Job queued", description, WARNING, footer=footer)])

    def _ephemeral(self, job: Job, emitter: Messenger, embeds: list[Json]) -> None:
        it = job.it
        emitter.create(
            message(
                id=self.ctx.new_id(), type=20 if it.type == 2 else 0, channel_id=it.channel_id,
                guild_id=it.guild_id, author=self.bot.user, mentions=[it.state.account.user()],
                embeds=embeds, flags=64, application_id=self.bot.application_id, nonce=it.nonce,
                interaction=job.origin.interaction(), interaction_metadata=job.origin.metadata(),
            ),
            it.user_id,
        )  # fmt: skip

    async def _run_started(self, job: Job, emitter: Messenger) -> None:
        speed = self.ctx.speed
        it = job.it
        self.memory.running[job.hash] = job
        try:
            await speed.pause(speed.start_delay, job.relaxed)
            start = None
            if job.progress:
                start = self._post_start(job, emitter)
                if job.faults.disconnect is not None:
                    params = {"code": job.faults.disconnect}
                    self.ctx.apply_account_fault("disconnect", it.state, params)
            rendered = await self._render(job)
            if start is not None and not await self._progress(job, emitter, start, rendered):
                return
            if job.faults.delay:  # a Cancel Job click ends the hold early
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job.cancel_requested.wait(), job.faults.delay)
            await speed.pause(speed.step_delay if job.progress else speed.quick_delay, job.relaxed)
            if job.cancelled and start is not None:  # cancelled while held by a delay
                self._update(job, emitter, start, job.content("Stopped"), [], [])
            if job.faults.drop_final or job.cancelled:
                return
            await self._post_final(job, emitter, start, rendered)
        finally:
            self.memory.running.pop(job.hash, None)

    async def _render(self, job: Job) -> Rendered | VideoMedia:
        percents = self.ctx.speed.progress_steps if job.progress else ()
        key = None if job.render_key is None else (job.render_key, percents)
        if job.video is not None:
            return await self._render_video(job, key, percents)
        found = self.renders.get(key) if key is not None else None
        if found is not None:
            return found
        width, height = job.tile
        if width * height * 4 <= INLINE_MAX_PIXELS:  # a grid is four tiles
            rendered = prepare(job.render, percents)
        else:
            rendered = await asyncio.to_thread(prepare, job.render, percents)
        if key is not None:
            self.renders.put(key, rendered)
        return rendered

    async def _render_video(self, job: Job, key: Any, percents: tuple[int, ...]) -> VideoMedia:
        """A video job's media: cached like pictures, drawn in a thread unless tiny."""
        assert job.video is not None
        found = self.videos.get(key) if key is not None else None
        if found is None:
            plan = job.video
            width, height = plan.size
            if width * height * plan.frames * plan.batch <= INLINE_MAX_PIXELS * 2:
                found = prepare_video(plan, percents)
            else:
                found = await asyncio.to_thread(prepare_video, plan, percents)
            if key is not None:
                self.videos.put(key, found)
        return found

    def _post_start(self, job: Job, emitter: Messenger) -> Json:
        it = job.it
        waiting = job.start_prefix + job.content("Waiting to start")
        start = message(
            id=self.ctx.new_id(), type=20 if it.type == 2 else 0, channel_id=it.channel_id,
            guild_id=it.guild_id, author=self.bot.user, content=waiting,
            mentions=[it.state.account.user()], application_id=self.bot.application_id,
            nonce=it.nonce if job.echo_nonce else None, interaction=job.origin.interaction(),
            interaction_metadata=job.origin.metadata(), webhook_id=self.bot.application_id,
        )  # fmt: skip
        return emitter.create(start, it.user_id)

    async def _progress(
        self, job: Job, emitter: Messenger, start: Json, rendered: Rendered | VideoMedia
    ) -> bool:
        """Progress updates; False when the job stopped (cancelled or the `stop` fault)."""
        speed = self.ctx.speed
        if job.video is not None:  # video jobs say so first (spec §5.2: skipped by proxies)
            self._update(job, emitter, start, ANIMATING, [], progress_components(job.hash))
        for step, percent in enumerate(speed.progress_steps):
            delay = speed.first_progress_delay if step == 0 else speed.step_delay
            await speed.pause(delay, job.relaxed)
            if job.cancelled or (job.faults.stop and step == 1):
                self._update(job, emitter, start, job.content("Stopped"), [], [])
                return False
            image = rendered.image
            name = f"{job.hash}_0_step_{step + 1}.jpeg"
            size = (max(2, image.width // 2), max(2, image.height // 2))
            preview = rendered.previews[percent]
            file = self.ctx.store_file(
                job.it.channel_id, name, preview, "image/jpeg", size, ephemeral=True
            )
            label = job.progress_label if job.progress_label is not None else job.label
            text = f"{job.content(None, label)} ({percent}%) ({job.mode})"
            self._update(job, emitter, start, text, [file], progress_components(job.hash))
        if job.video is not None:
            self._update(job, emitter, start, DISPLAYING, [], [])
        return True

    def _update(
        self,
        job: Job,
        emitter: Messenger,
        start: Json,
        content: str,
        attachments: list[Json],
        components: list[Component],
    ) -> None:
        updated = {key: value for key, value in start.items() if key not in ("nonce", "webhook_id")}
        updated.update(
            content=content,
            attachments=attachments,
            components=components,
            edited_timestamp=snowflake_timestamp(self.ctx.new_id()),
        )
        emitter.update(updated, job.user_id, late=True)

    async def _post_final(
        self, job: Job, emitter: Messenger, start: Json | None, rendered: Rendered | VideoMedia
    ) -> None:
        it = job.it
        image, username = rendered.image, it.state.account.username
        content = job.content(job.mode if job.mode_suffix else None)
        reply = job.reply_to
        if isinstance(rendered, VideoMedia):  # one animated WebP grid, a reply to the start
            name = filename_slug(username, job.prompt, job.hash, "webp")
            file = self.ctx.store_file(it.channel_id, name, rendered.webp, "image/webp", image.size)
            content = final_content(job.echo or "", it.user_id, job.hash, job.mode)
            reply = reply or start
        else:
            name = filename_slug(username, job.prompt, job.hash)
            file = self.ctx.store_file(it.channel_id, name, rendered.png, "image/png", image.size)
        final = message(
            id=self.ctx.new_id(), type=19 if reply else 0, channel_id=it.channel_id,
            guild_id=it.guild_id, author=self.bot.user, content=content,
            mentions=[it.state.account.user()], attachments=[file],
            components=job.components(job.hash), application_id=self.bot.application_id,
            message_reference=reference(reply) if reply else None,
            referenced_message=referenced(reply) if reply else None,
            interaction_metadata=job.origin.metadata(),
        )  # fmt: skip
        if start is not None and job.faults.reorder:
            emitter.delete(start, it.user_id)
        emitter.create(final, it.user_id)
        video = rendered if isinstance(rendered, VideoMedia) else None
        self.memory.results[job.hash] = Result(
            job.hash, job.kind, job.prompt, image, it.user_id, final, job.tile, video,
            job.echo or "",
        )  # fmt: skip
        it.state.usage.charge(job.mode, *job.usage())
        if start is not None and not job.faults.reorder:
            emitter.delete(start, it.user_id)
        emitter.release_held()
