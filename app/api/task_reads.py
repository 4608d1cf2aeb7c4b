"""Reading tasks as the request's caller: what a client may read (`visible`) is decided here.

`TaskReader` is the read half of the API's service (`app/api/service.py`'s `TaskService` extends
it with the use-cases); every dialect reads tasks through it (`require_task`, `recent_tasks` …).
It is handed the request's caller (`for_caller`): a client key reads its own tasks only, and an
anonymous client (no secret on a server that has some) only anonymous ones (docs/keys.md).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.api.callers import OPERATOR, Caller
from app.config import Settings
from app.domain.errors import CommandError, ErrorKind
from app.domain.task import Task
from db import tasks as q

# Set on tasks submitted anonymously through a dialect whose secret check is off while the
# server has secrets: such a client reads only tasks like it (app/api/access.py).
ANONYMOUS = "_anonymous"


class TaskReader:
    """Tasks as the caller may read them; the base of `TaskService`."""

    caller: Caller = OPERATOR

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def for_caller(self, caller: Caller) -> Self:
        """This service as `caller` sees it (a shallow copy: shares caches and fetcher)."""
        if caller is self.caller:
            return self
        view = copy.copy(self)
        view.caller = caller
        return view

    @property
    def anonymous(self) -> bool:
        """A client without a secret on a server that has some: it sees only anonymous tasks."""
        return self.caller.anonymous

    @property
    def _own_key(self) -> int | None:
        """The key whose tasks alone this caller sees (None: no such restriction)."""
        key = self.caller.key
        return key.id if key is not None and not key.admin else None

    def visible(self, task: Task | None) -> Task | None:
        """`task` if this client may read it, else None (reads as "no such task")."""
        if task is None or (self.anonymous and task.prop(ANONYMOUS) is not True):
            return None
        own = self._own_key
        if own is not None and task.key_id != own:
            return None
        return task

    async def get_task(self, task_id: str) -> Task | None:
        return self.visible(await taskstore.get_task(self.engine, task_id))

    async def require_task(self, task_id: str, *, or_nonce: bool = False) -> Task:
        """The task this client asks for (`or_nonce`: by our id or the interaction nonce, as
        Pika status), else TASK_NOT_FOUND."""
        task = self.visible(await taskstore.get_task(self.engine, task_id, or_nonce=or_nonce))
        if task is None:
            raise CommandError(ErrorKind.TASK_NOT_FOUND, f"task {task_id} does not exist")
        return task

    async def recent_tasks(self, limit: int = 100) -> list[Task]:
        async with self.engine.connect() as conn:
            return self._readable(await q.list_recent_tasks(conn, limit, key_id=self._own_key))

    async def queued_tasks(self, limit: int = 100) -> list[Task]:
        """Tasks waiting for an account, oldest first."""
        async with self.engine.connect() as conn:
            return self._readable(await q.list_queued_tasks(conn, limit, key_id=self._own_key))

    async def tasks_by_ids(self, ids: list[str]) -> list[Task]:
        """These tasks in the order asked; unknown (or unreadable) ones skipped."""
        async with self.engine.connect() as conn:
            return self._readable(await q.get_tasks(conn, ids))

    def _readable(self, rows: Iterable[Any]) -> list[Task]:
        tasks = (Task.from_row(row) for row in rows)
        return [task for task in tasks if self.visible(task) is not None]
