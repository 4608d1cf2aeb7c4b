"""A video's grid and its clips as changes of the video task (pure; protocol notes v2 §5).

The bot answers a video job with one grid (an animated WebP, buttons
`MJ::JOB::video_virtual_upscale::1..bs`); its MP4s come one per press of those buttons, each a
reply with `animate_*_extend::N` buttons. The video task records the grid (its preview as the
image, RUNNING at 99%), the worker presses every clip button, and the task is SUCCESS once every
clip came: `video_url` is clip 1, `properties.videoClipUrls` maps each clip number to its MP4.
"""

from __future__ import annotations

import re
from typing import Any

from app.discord.events import JobFinished
from app.domain.actions import Action
from app.domain.buttons import iter_components
from app.domain.results import CLIP_MESSAGES, CLIP_URLS
from app.domain.status import TaskStatus
from app.domain.task import Task

_CLIP = re.compile(r"::video_virtual_upscale::([1-4])::")
_EXTEND = re.compile(r"::animate_(?:high|low)_extend::([1-4])::")
CLIP_COUNT = "videoClips"


def clip_buttons(components: Any) -> list[str]:
    """The grid's `video_virtual_upscale` custom ids, in clip order."""
    ids = [str(c.get("custom_id", "")) for c in iter_components(list(components))]
    return sorted((i for i in ids if _CLIP.search(i)), key=lambda i: _CLIP.findall(i)[0])


def collects_clips(task: Task) -> bool:
    return task.action == Action.ANIMATE


def awaits_clips(task: Task) -> bool:
    """A video task whose grid is recorded and whose clips are not all in yet."""
    return (
        collects_clips(task)
        and task.status == TaskStatus.RUNNING
        and bool(task.message_id)
        and isinstance(task.prop(CLIP_COUNT), int)
    )


def is_recorded_grid(task: Task, event: JobFinished) -> bool:
    """`event` is the grid `task` already recorded (a duplicate dispatch, a replay)."""
    return awaits_clips(task) and event.meta.message_id == task.message_id and not event.video_url


def missing_clip_buttons(task: Task) -> list[str]:
    """The clip buttons of a video awaiting clips whose clip is not recorded yet."""
    if not awaits_clips(task):
        return []
    have = task.prop(CLIP_URLS) or {}
    return [c for c in clip_buttons(task.buttons or []) if _CLIP.findall(c)[0] not in have]


def grid_values(task: Task, event: JobFinished) -> dict[str, Any] | None:
    """The grid of a video task, or None when `event` is not one."""
    clips = clip_buttons(event.components)
    if event.video_url or not clips:
        return None
    values: dict[str, Any] = {
        "progress": 99,
        "image_url": event.image_url,
        "message_hash": event.job_hash,
        "buttons": list(event.components),
        "final_prompt": event.prompt or task.final_prompt,
        "preview_url": None,
        "properties": {**task.properties, CLIP_COUNT: len(clips), CLIP_URLS: {}},
    }
    if task.status != TaskStatus.RUNNING:
        values["status"] = TaskStatus.RUNNING
    return values


def clip_values(task: Task, event: JobFinished, now_ms: int) -> dict[str, Any] | None:
    """One clip of a video task whose grid came; SUCCESS with the last one."""
    wanted = task.prop(CLIP_COUNT)
    if not event.video_url or not isinstance(wanted, int):
        return None
    have = dict(task.prop(CLIP_URLS) or {})
    numbers = [
        _EXTEND.findall(str(c.get("custom_id", "")))
        for c in iter_components(list(event.components))
    ]
    number = next((n[0] for n in numbers if n), str(len(have) + 1))
    have[number] = event.video_url
    messages = {**(task.prop(CLIP_MESSAGES) or {}), number: event.meta.message_id}
    properties = {**task.properties, CLIP_URLS: have, CLIP_MESSAGES: messages}
    values: dict[str, Any] = {"properties": properties}
    if len(have) >= wanted:
        first = have.get("1") or next(iter(have.values()))
        values.update(status=TaskStatus.SUCCESS, progress=100, video_url=first, finish_time=now_ms)
    return values
