"""A task's notes: events that change no status (its files archived, or not), with properties.

The third writer of task rows beside `app/taskstore.py`'s create and change, and like them it
goes through db/tasks.py. No callback: what a receiver acts on (the status, the result URL it
was given) is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.domain.task import Task
from app.taskstore import Database, transaction
from db import tasks as q


async def record_note(
    db: Database,
    task_id: str,
    *,
    kind: str,
    data: Mapping[str, Any],
    properties: Mapping[str, Any] | None = None,
) -> Task | None:
    """Append an event that changes no status (e.g. `archived`), merging `properties` in: one
    statement, no row read first (`properties` merge in SQL). On an engine it commits on its
    own; on a connection it joins the caller's transaction (or opens one)."""
    if isinstance(db, AsyncEngine):
        noted = await q.note_task(db, task_id, kind=kind, data=dict(data), properties=properties)
    else:
        async with transaction(db) as conn:
            noted = await q.note_task(
                conn, task_id, kind=kind, data=dict(data), properties=properties
            )
    return Task.from_row(noted) if noted is not None else None
