"""SQL for a task's files (`task_files`): the inputs a client gave, a Vary (Region) mask, and
legacy result blobs (app/storage moves those to the store)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import driver
from db.tables import task_files
from db.tasks import storable


async def insert_task_file(
    conn: AsyncConnection,
    *,
    task_id: str,
    name: str,
    role: str,
    content_type: str,
    data: bytes,
    position: int = 0,
    source: str | None = None,
) -> None:
    """Store a file of a task; an existing file of that name is replaced."""
    stmt = text(
        """
        INSERT INTO task_files (task_id, name, role, position, content_type, size, source, data)
        VALUES (:task_id, :name, :role, :position, :content_type, :size, :source, :data)
        ON CONFLICT (task_id, name) DO UPDATE
        SET role = excluded.role, position = excluded.position,
            content_type = excluded.content_type, size = excluded.size,
            source = excluded.source, data = excluded.data
        """
    )
    await conn.execute(
        stmt,
        {
            "task_id": task_id,
            "name": name,
            "role": role,
            "position": position,
            "content_type": content_type,
            "size": len(data),
            "source": source,
            "data": data,
        },
    )


async def get_task_file(conn: AsyncConnection, task_id: str, name: str) -> RowMapping | None:
    if not (storable(task_id) and storable(name)):
        return None
    result = await conn.execute(
        select(task_files).where(task_files.c.task_id == task_id, task_files.c.name == name)
    )
    return result.mappings().first()


_TASK_FILES_SQL = (
    f"SELECT {', '.join(c.name for c in task_files.columns)} FROM task_files"
    " WHERE task_id = $1 AND role = $2 ORDER BY position"
)


async def read_task_files(engine: AsyncEngine, task_id: str, role: str) -> list[dict[str, Any]]:
    """A task's files of one `role` (bytes included) by position: `"input"` for uploads, `"mask"`
    for a Vary (Region) mask. One statement on its own (db/driver.py: no BEGIN)."""
    return await driver.fetch(engine, _TASK_FILES_SQL, task_id, role)
