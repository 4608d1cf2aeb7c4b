"""Object keys of a task's files (pure): `tasks/<task id>/<file token>/<name>`.

The task id first, so one task's objects share a prefix (retention, `storage check`); the task's
random file token next, so a key (and a public URL made from it) cannot be guessed from an id.
"""

from __future__ import annotations

import re

from app.dialects.common import media_extension
from app.domain.results import RESULT_KINDS, result_source
from app.domain.task import Task

__all__ = ["RESULT_KINDS", "object_key", "result_key"]

PREFIX = "tasks/"
THUMB = "thumb"
_NO_TOKEN = "0"
_KEY = re.compile(r"^tasks/(?P<task_id>[^/]+)/[^/]+/[^/]+$")


def object_key(task_id: str, token: str | None, filename: str) -> str:
    return f"{PREFIX}{task_id}/{token or _NO_TOKEN}/{filename}"


def task_of(key: str) -> str | None:
    """The task id an object key belongs to; None for a key mjrelay did not write."""
    found = _KEY.match(key)
    return found["task_id"] if found else None


def loggable_key(key: str) -> str:
    """The key with its file token replaced by `{token}`: the token is a capability (it is in
    the task's /files URL), so logs and error messages never carry it."""
    found = _KEY.match(key)
    if found is None:
        return key
    return f"{PREFIX}{found['task_id']}/{{token}}/{key.rsplit('/', 1)[1]}"


def result_key(task: Task, kind: str) -> str | None:
    """The object key of a task's `image` or `video` result (None when it has none)."""
    url = result_source(task, kind)
    if not url:
        return None
    return object_key(task.id, task.prop("_file_token"), f"{kind}{media_extension(url)}")
