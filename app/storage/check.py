"""`mjrelay storage check`: the store and the database agree, or say where they do not.

Two walks, both in pages so neither side is loaded whole:
- every object under `tasks/` whose key no task's row names is an *orphan* (left by a crash
  between a retention delete and the object delete, or a task deleted by hand); `--repair`
  deletes orphans older than `min_age_s` (a younger one may be a copy whose row is being written);
- every row marked stored whose object is gone is *missing*; `--repair` hands it back to the
  archiver, which copies it again from Discord while the link (or a re-signed one) still answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.storage.keys import PREFIX, THUMB
from app.storage.store import ObjectInfo, ObjectStore
from db import objects as object_queries

PAGE = 500


@dataclass
class CheckReport:
    objects: int = 0
    rows: int = 0
    orphans: list[str] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # task, name, key
    deleted: int = 0
    rearmed: int = 0
    orphan_times: dict[str, datetime] = field(default_factory=dict, repr=False)

    @property
    def clean(self) -> bool:
        return not self.orphans and not self.missing


async def check_storage(
    engine: Any, store: ObjectStore, *, repair: bool = False, min_age_s: float = 600.0
) -> CheckReport:
    report = CheckReport()
    page: list[ObjectInfo] = []
    async for info in store.list(PREFIX):
        page.append(info)
        if len(page) >= PAGE:
            await _orphans(engine, page, report)
            page = []
    await _orphans(engine, page, report)
    await _missing(engine, store, report)
    if repair:
        await _repair(engine, store, report, min_age_s)
    return report


async def _orphans(engine: Any, page: list[ObjectInfo], report: CheckReport) -> None:
    if not page:
        return
    report.objects += len(page)
    async with engine.connect() as conn:
        known = await object_queries.known_keys(conn, [info.key for info in page])
    for info in page:
        if info.key not in known:
            report.orphans.append(info.key)
            report.orphan_times[info.key] = info.modified


async def _missing(engine: Any, store: ObjectStore, report: CheckReport) -> None:
    after = ("", "")
    while True:
        async with engine.connect() as conn:
            rows = await object_queries.stored_rows(conn, after=after, limit=PAGE)
        for row in rows:
            report.rows += 1
            if not await store.exists(row["key"]):
                report.missing.append((row["task_id"], row["name"], row["key"]))
        if len(rows) < PAGE:
            return
        after = (rows[-1]["task_id"], rows[-1]["name"])


async def _repair(engine: Any, store: ObjectStore, report: CheckReport, min_age_s: float) -> None:
    cutoff = datetime.now(UTC) - timedelta(seconds=min_age_s)
    doomed = [key for key in report.orphans if report.orphan_times[key] <= cutoff]
    await store.delete(doomed)
    report.deleted = len(doomed)
    async with engine.begin() as conn:
        for task_id, name, _key in report.missing:
            job = "image" if name == THUMB else name  # archiving the image makes its thumbnail
            if await object_queries.rearm(conn, task_id=task_id, name=job):
                report.rearmed += 1
        if report.rearmed:
            await object_queries.notify_archive(conn)
