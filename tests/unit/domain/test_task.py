"""The task model (app/domain/task.py)."""

from __future__ import annotations

from app.domain.actions import Action
from app.domain.task import Task


def test_task_from_row_fills_defaults() -> None:
    task = Task.from_row(
        {
            "id": "1",
            "dialect": "webman",
            "action": "IMAGINE",
            "params": None,
            "buttons": None,
            "progress": None,
            "created_at": "ignored",
        }
    )
    assert task.params == {} and task.buttons == [] and task.progress == 0
    assert task.replace(progress=5).progress == 5
    assert task.action_enum == Action.IMAGINE
    assert task.replace(action="WHAT").action_enum is None
