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
from app.domain.task import Task
from db import tasks as q


def _clip_button(index: int) -> str:
    return f"::video_virtual_upscale::{index}::"


async def on_the_clip(
    engine: AsyncEngine, cmd: PressButton, parent: Task
) -> tuple[PressButton, Task]:
    """`cmd` and its parent, moved from a video to its clip `cmd.index` when it extends a video."""
    if cmd.action != Action.ANIMATE or cmd.index is None or cmd.custom_id is not None:
        return cmd, parent
    wanted = _clip_button(cmd.index)
    if not any(wanted in c for c in custom_ids(parent.buttons)):
        return cmd, parent  # not a video grid with that clip (an upscale, a clip itself …)
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
