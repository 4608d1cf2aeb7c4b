"""What a bot event means for a task: pure translation into a `Change` the store records.

The runner feeds each event the correlator tied to a task through `change_for_event`; the result
says which columns change, the new status, and the event kind for the task's history. `None`
means "nothing a client can see changed" (a duplicate progress update, an out-of-order one).
An account-level error (ban, captcha…) changes no task by itself: the account leaves service and
`health.take_out_of_service` decides for all its tasks at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.discord.content import variation_of
from app.discord.events import (
    BotEvent,
    Described,
    InteractionFailed,
    JobFinished,
    JobProgress,
    JobStarted,
    MessageEvent,
    Shortened,
    TaskError,
)
from app.domain.status import TaskStatus, can_transition
from app.domain.task import Task
from app.worker import video_translate as video


@dataclass(frozen=True)
class Change:
    """Columns to set on a task, and how its history names the change."""

    values: dict[str, Any]
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return self.values.get("status")


def _correlation(event: MessageEvent) -> dict[str, Any]:
    """The message's keys, kept on the task so a new owner after a crash can match exactly."""
    values: dict[str, Any] = {}
    if event.meta.interaction_id:
        values["interaction_id"] = event.meta.interaction_id
    if event.meta.message_id:
        values["message_id"] = event.meta.message_id
    if event.meta.flags:
        values["message_flags"] = event.meta.flags
    return values


def _finished(task: Task, event: JobFinished, now_ms: int) -> Change:
    values = {
        **_correlation(event),
        "status": TaskStatus.SUCCESS,
        "progress": 100,
        "image_url": event.image_url if not event.video_url else task.image_url,
        "video_url": event.video_url,
        "message_hash": event.job_hash,
        "buttons": list(event.components),
        "final_prompt": event.prompt or task.final_prompt,
        "finish_time": now_ms,
        "preview_url": None,
    }
    if event.mode:  # what the bot says it ran in: (fast), (relaxed), (turbo)
        values["mode"] = "relax" if event.mode == "relaxed" else event.mode
    variation = variation_of(event.action_label)
    if variation is not None:
        remix, strength = variation
        values["properties"] = {**task.properties, "remix": remix, "variationStrength": strength}
    data = {"image_url": event.image_url, "video_url": event.video_url, "hash": event.job_hash}
    return Change(values, "finished", data)


def _text_result(task: Task, event: Described | Shortened, now_ms: int) -> Change:
    values: dict[str, Any] = {
        **_correlation(event),
        "status": TaskStatus.SUCCESS,
        "progress": 100,
        "description": "\n\n".join(event.prompts),
        "properties": {**task.properties, "prompts": list(event.prompts)},
        # PicReader / PromptAnalyzer / Retry: what a client presses to imagine one of the prompts.
        "buttons": list(event.components),
        "finish_time": now_ms,
    }
    if isinstance(event, Described) and event.image_url:
        values["image_url"] = event.image_url
    kind = "described" if isinstance(event, Described) else "shortened"
    return Change(values, kind, {"prompts": list(event.prompts)})


def _failed(reason: str, kind: str, now_ms: int, **data: Any) -> Change:
    values = {"status": TaskStatus.FAILURE, "fail_reason": reason, "finish_time": now_ms}
    return Change(values, kind, {"reason": reason, **data})


def change_for_event(task: Task, event: BotEvent, now_ms: int) -> Change | None:
    """The change `event` makes to `task`, or None when a client would see no difference."""
    change = _change(task, event, now_ms)
    if change is None or change.status is None:
        return change
    if not can_transition(task.status, change.status):
        return None
    return change


def _video(task: Task, event: JobFinished, now_ms: int) -> Change | None:
    """A video task's grid, then its clips (app/worker/video_translate.py)."""
    grid = video.grid_values(task, event)
    if grid is not None:
        clips = grid["properties"][video.CLIP_COUNT]
        return Change({**_correlation(event), **grid}, "video_grid", {"clips": clips})
    clip = video.clip_values(task, event, now_ms)
    if clip is None:
        return None
    kind = "finished" if clip.get("status") == TaskStatus.SUCCESS else "video_clip"
    return Change(clip, kind, {"video_url": event.video_url})


def _change(task: Task, event: BotEvent, now_ms: int) -> Change | None:
    if isinstance(event, JobFinished):
        if video.is_recorded_grid(task, event):
            return None  # its clips are pressed already: a repeat must not press them again
        if video.collects_clips(task):
            found = _video(task, event, now_ms)
            if found is not None:
                return found
        return _finished(task, event, now_ms)
    if isinstance(event, Described | Shortened):
        return _text_result(task, event, now_ms)
    if isinstance(event, TaskError):
        return _failed(event.reason, "bot_error", now_ms, error=str(event.kind))
    if isinstance(event, InteractionFailed):
        return _failed("Discord reported that the interaction failed", "interaction_failed", now_ms)
    if isinstance(event, JobProgress):
        if task.status == TaskStatus.RUNNING and event.percent <= task.progress:
            return None  # a late or repeated update
        values = {
            **_correlation(event),
            "status": TaskStatus.RUNNING,
            "progress": max(0, min(event.percent, 99)),
        }
        if event.preview_url:
            values["preview_url"] = event.preview_url
        if event.job_hash:
            values["message_hash"] = event.job_hash
        return Change(values, "progress", {"percent": event.percent})
    if isinstance(event, JobStarted):
        if task.status not in (TaskStatus.STARTED, TaskStatus.SUBMITTED):
            return None
        values = {**_correlation(event), "status": TaskStatus.SUBMITTED}
        if event.prompt:
            values["final_prompt"] = event.prompt
        return Change(values, "bot_started")
    return None
