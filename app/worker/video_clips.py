"""Fetching a video's clips: after its grid, the worker presses every
`MJ::JOB::video_virtual_upscale::N` on it (free, no slot) and the clips come back as replies that
`video_translate` adds to the task. A press Discord refuses fails the task with its message.
After a crash between the grid and its clips, recovery presses only the clips the replayed
channel did not hold (`missing_clip_buttons`)."""

from __future__ import annotations

from app.discord import commands
from app.discord.errors import DiscordError
from app.domain.task import Task
from app.worker.context import RunnerContext
from app.worker.interactions import application_of
from app.worker.video_translate import clip_buttons


async def fetch_clips(ctx: RunnerContext, task: Task, custom_ids: list[str] | None = None) -> None:
    """Press `custom_ids` (by default every clip button of the grid) on the task's grid."""
    if not task.message_id:
        return
    for custom_id in clip_buttons(task.buttons or []) if custom_ids is None else custom_ids:
        nonce = ctx.nonces.next(ctx.clock())
        ctx.correlator.track(
            task.id, nonce=nonce, now=ctx.clock(), parent_message_id=task.message_id
        )
        payload = commands.press_button(
            ctx.link.context(),
            message_id=task.message_id,
            custom_id=custom_id,
            nonce=nonce,
            message_flags=task.message_flags or 0,
            application_id=application_of(task),
        )
        try:
            await ctx.link.send(payload)
        except DiscordError as exc:
            await ctx.tasks.fail(task.id, f"a clip of the video was refused: {exc}", "clip_failed")
            return
