"""A finished video measured before its SUCCESS is recorded: the worker downloads clip 1 from
the bot's link (the guarded result download, as the archiver's) and reads its length with PyAV,
so trueai's `videoDuration` and `frameCount` are in the SUCCESS callback and every fetch alike.

It runs beside the follow loop (spawned), never in it: a download must not hold up the
account's other events. A clip that cannot be read leaves the facts unknown (null) and the task
succeeds all the same.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import anyio

from app.domain.status import TaskStatus, is_final
from app.domain.task import Task
from app.domain.video import VIDEO_FACTS
from app.storage.archive import DOWNLOAD_TIMEOUT_S, MAX_RESULT_BYTES
from app.storage.sources import ResultSources, download
from app.storage.video_frames import measure
from app.worker.context import RunnerContext
from app.worker.translate import Change

log = logging.getLogger(__name__)


def finishes_video(change: Change) -> bool:
    return change.status == TaskStatus.SUCCESS and bool(change.values.get("video_url"))


async def measured(ctx: RunnerContext, url: str) -> dict[str, int] | None:
    """Clip `url`'s {"duration": whole seconds, "frames": n}, or None when it cannot be read."""
    sources = ResultSources.for_api_base(str(ctx.account.row.get("api_base") or ""))
    try:
        fetched = await download(
            url, sources, max_bytes=MAX_RESULT_BYTES, timeout_s=DOWNLOAD_TIMEOUT_S
        )
        facts = await anyio.to_thread.run_sync(measure, fetched.data)
    except Exception as exc:  # unknown facts never fail a finished video
        log.info("could not measure a video: %s", type(exc).__name__)
        return None
    return {"duration": facts.duration_s, "frames": facts.frames}


def with_facts(change: Change, task: Task, facts: dict[str, int] | None) -> Change:
    if facts is None:
        return change
    properties: dict[str, Any] = dict(change.values.get("properties") or task.properties or {})
    properties[VIDEO_FACTS] = facts
    return dataclasses.replace(change, values={**change.values, "properties": properties})


async def finish_video(ctx: RunnerContext, task_id: str, change: Change) -> None:
    """Measure the video `change` finishes, then record the change with its facts. The task's
    record is `finishing` meanwhile: later events for it (a repeated final message) are ignored
    and recovery presses no clip of it again."""
    record = ctx.tasks.get(task_id)
    if record is None:
        return
    try:
        facts = await measured(ctx, str(change.values["video_url"]))
        async with record.lock:
            if ctx.tasks.get(task_id) is not record or is_final(record.task.status):
                return  # forgotten, or finished meanwhile
            await ctx.tasks.apply(task_id, with_facts(change, record.task, facts))
    finally:
        record.finishing = False
