"""Dialect adapters (pure): parse requests into domain commands, render tasks as each dialect.

Per dialect, `<dialect>_requests.py` parses request bodies (field checks shared in `fields.py`)
and `<dialect>.py` renders tasks and replies (shared helpers in `common.py`).

`render_callback(task)` is the body of a task's callbacks; the fetch endpoints use the same
per-dialect `task_bytes`, so a callback and a fetch of the same task state are the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable

from app.dialects import discordxy, novicezk, webman
from app.domain.task import Task

DIALECTS = ("discordxy", "webman", "novicezk")

_TASK_BYTES: dict[str, Callable[[Task], bytes]] = {
    "discordxy": discordxy.task_bytes,
    "webman": webman.task_bytes,
    "novicezk": novicezk.task_bytes,
}


def render_callback(task: Task) -> bytes:
    """The callback body for `task`, in the dialect it was submitted through.

    novicezk: the task JSON (= `GET /mj/task/{id}/fetch`). webman: the task JSON (= the `data`
    of `/task/fetch`, embedded byte for byte). Discordxy: the `/mj/status` reply.
    """
    return _TASK_BYTES.get(task.dialect, novicezk.task_bytes)(task)


__all__ = ["DIALECTS", "render_callback"]
