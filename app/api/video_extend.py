"""trueai's extend names the video and a 0-based clip index (`/mj/submit/video` `action:
"extend"`); on Discord the Extend buttons sit on the clip's message, the result of pressing
`video_virtual_upscale::<index+1>` on the video. mjrelay runs one interaction per task, so the
clip must have been pressed already: its finished task is the one the extend presses on."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.actions import Action
from app.domain.buttons import custom_ids
from app.domain.commands import PressButton
from app.domain.errors import CommandError, ErrorKind
from app.domain.results import CLIP_MESSAGES
from app.domain.task import Task
from db import tasks as q


def _clip_button(index: int) -> str:
    return f"::video_virtual_upscale::{index}::"


def _own_clip(video: Task, cmd: PressButton) -> Task | None:
    """The video task as seen from its own clip `cmd.index` (fetched by the worker): the clip's
    message and its Extend buttons, so the press lands there."""
    messages = video.prop(CLIP_MESSAGES)
    message_id = messages.get(str(cmd.index)) if isinstance(messages, dict) else None
    if not message_id or not video.message_hash:
        return None
    extend = [
        {
            "type": 2,
            "custom_id": f"MJ::JOB::animate_{motion}_extend::{cmd.index}::{video.message_hash}",
        }
        for motion in ("high", "low")
    ]
    return video.replace(message_id=message_id, buttons=[{"type": 1, "components": extend}])


async def on_the_clip(
    engine: AsyncEngine, cmd: PressButton, parent: Task
) -> tuple[PressButton, Task]:
    """`cmd` and its parent, moved from a video to its clip `cmd.index` when it extends a video."""
    if cmd.action != Action.ANIMATE or cmd.index is None or cmd.custom_id is not None:
        return cmd, parent
    wanted = _clip_button(cmd.index)
    if not any(wanted in c for c in custom_ids(parent.buttons)):
        return cmd, parent  # not a video grid with that clip (an upscale, a clip itself …)
    on_video = _own_clip(parent, cmd)
    if on_video is not None:
        return cmd, on_video
    async with engine.connect() as conn:
        rows = await q.list_finished_children(conn, parent.id)
    for row in rows:
        child = Task.from_row(row)
        if wanted in str(child.params.get("customId", "")) and child.key_id == parent.key_id:
            return dataclasses.replace(cmd, parent_id=child.id), child
    raise CommandError(
        ErrorKind.ACTION_NOT_ALLOWED,
        f"clip {cmd.index} of task {parent.id} has not been fetched: press"
        f" MJ::JOB::video_virtual_upscale::{cmd.index} first (/mj/submit/action), then extend",
    )
