"""Retention: purge old finished tasks in small batches so the database never stalls on it.

A task's files in the store go with it: the rows are deleted first (the database is the truth),
then the objects. A crash in between leaves orphan objects, which `mjrelay storage check --repair`
finds and deletes; a failed delete is logged and left to the same check.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.store import ObjectStore, StorageError
from db import idempotency
from db.retention import purge_finished_tasks

log = logging.getLogger(__name__)

BATCH = 500
PAUSE_BETWEEN_BATCHES_S = 0.2
INTERVAL_S = 3600.0


async def purge_once(
    engine: AsyncEngine, days: int, *, store: ObjectStore | None = None, batch: int = BATCH
) -> int:
    """Delete every task finished more than `days` ago (and its stored files), in batches."""
    total = 0
    while True:
        async with engine.begin() as conn:
            purged = await purge_finished_tasks(conn, days=days, batch=batch)
        total += purged.tasks
        if store is not None and purged.keys:
            try:
                await store.delete(purged.keys)
            except StorageError as exc:
                log.warning("retention left objects in the store: %s", exc)
        if purged.tasks < batch:
            break
        await asyncio.sleep(PAUSE_BETWEEN_BATCHES_S)
    if total:
        log.info("retention purged old tasks", extra={"tasks": total, "days": days})
    async with engine.begin() as conn:  # Idempotency-Keys past their 24 hours
        await idempotency.sweep(conn)
    return total


async def run_retention(
    engine: AsyncEngine, days: int, stop: asyncio.Event, store: ObjectStore | None = None
) -> None:
    while not stop.is_set():
        try:
            await purge_once(engine, days, store=store)
        except Exception:
            log.exception("retention pass failed; retrying next interval")
        try:
            await asyncio.wait_for(stop.wait(), INTERVAL_S)
        except TimeoutError:
            continue
