"""A video task's grid, then its clips (app/worker/video_translate.py through translate)."""

from __future__ import annotations

from typing import Any

from app.discord.events import JobFinished, MessageMeta
from app.domain.task import Task
from app.worker.translate import change_for_event
from app.worker.video_translate import awaits_clips, missing_clip_buttons

H = "d5c1eed3-de3e-4524-a584-0e0031335b45"


def _row(*ids: str) -> list[dict[str, Any]]:
    return [{"type": 1, "components": [{"type": 2, "custom_id": i} for i in ids]}]


def _grid(n: int) -> JobFinished:
    ids = [f"MJ::JOB::video_virtual_upscale::{i}::{H}" for i in range(1, n + 1)]
    return JobFinished(
        meta=MessageMeta(message_id="900"),
        image_url="https://cdn/grid.webp",
        job_hash=H,
        components=tuple(_row(*ids)),
    )


def _clip(n: int) -> JobFinished:
    return JobFinished(
        meta=MessageMeta(message_id=f"90{n}", reference_message_id="900"),
        video_url=f"https://cdn/{H}_{n - 1}.mp4",
        components=tuple(_row(f"MJ::JOB::animate_high_extend::{n}::{H}")),
    )


def _apply(task: Task, event: JobFinished) -> tuple[Task, str]:
    change = change_for_event(task, event, 1_000)
    assert change is not None
    return task.replace(**change.values), change.kind


def test_a_video_waits_for_every_clip_then_succeeds_with_them() -> None:
    task = Task(id="1", dialect="novicezk", action="ANIMATE", status="SUBMITTED")
    task, kind = _apply(task, _grid(2))
    assert (kind, task.status, task.progress, task.message_id) == (
        "video_grid",
        "RUNNING",
        99,
        "900",
    )
    assert task.image_url == "https://cdn/grid.webp" and task.video_url is None
    task, kind = _apply(task, _clip(2))
    assert (kind, task.status, task.message_id) == ("video_clip", "RUNNING", "900")
    task, kind = _apply(task, _clip(1))
    assert (kind, task.status, task.progress) == ("finished", "SUCCESS", 100)
    assert task.video_url == f"https://cdn/{H}_0.mp4"
    assert task.prop("videoClipUrls") == {
        "1": f"https://cdn/{H}_0.mp4",
        "2": f"https://cdn/{H}_1.mp4",
    }


def test_a_clip_task_or_an_image_task_is_not_collected() -> None:
    clip_task = Task(id="2", dialect="novicezk", action="UPSCALE", status="SUBMITTED")
    done, kind = _apply(clip_task, _clip(1))
    assert (kind, done.status, done.video_url) == ("finished", "SUCCESS", f"https://cdn/{H}_0.mp4")
    imagine = Task(id="3", dialect="novicezk", action="IMAGINE", status="SUBMITTED")
    assert _apply(imagine, _grid(4))[0].status == "SUCCESS"


def test_the_clips_a_video_still_lacks_are_the_ones_to_press_after_a_crash() -> None:
    task = Task(id="1", dialect="novicezk", action="ANIMATE", status="SUBMITTED")
    assert missing_clip_buttons(task) == []  # no grid yet: nothing to press
    task, _ = _apply(task, _grid(4))
    assert awaits_clips(task)
    assert missing_clip_buttons(task) == [
        f"MJ::JOB::video_virtual_upscale::{i}::{H}" for i in (1, 2, 3, 4)
    ]
    task, _ = _apply(task, _clip(3))
    task, _ = _apply(task, _clip(1))
    assert missing_clip_buttons(task) == [
        f"MJ::JOB::video_virtual_upscale::{i}::{H}" for i in (2, 4)
    ]
    task, _ = _apply(task, _clip(2))
    task, _ = _apply(task, _clip(4))
    assert task.status == "SUCCESS" and not awaits_clips(task)
    assert missing_clip_buttons(task) == []


def test_a_repeat_of_the_recorded_grid_changes_nothing() -> None:
    task = Task(id="1", dialect="novicezk", action="ANIMATE", status="SUBMITTED")
    task, _ = _apply(task, _grid(2))
    task, _ = _apply(task, _clip(1))
    assert change_for_event(task, _grid(2), 2_000) is None  # no reset, no second presses
    assert task.prop("videoClipUrls") == {"1": f"https://cdn/{H}_0.mp4"}
