"""Retention: purge old finished tasks in small batches so the database never stalls on it."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from db.retention import purge_finished_tasks

log = logging.getLogger(__name__)

BATCH = 500
PAUSE_BETWEEN_BATCHES_S = 0.2
INTERVAL_S = 3600.0


async def purge_once(engine: AsyncEngine, days: int, *, batch: int = BATCH) -> int:
    """Delete every task finished more than `days` ago, one batch per transaction."""
    total = 0
    while True:
        async with engine.begin() as conn:
            removed = await purge_finished_tasks(conn, days=days, batch=batch)
        total += removed
        if removed < batch:
            break
        await asyncio.sleep(PAUSE_BETWEEN_BATCHES_S)
    if total:
        log.info("retention purged old tasks", extra={"tasks": total, "days": days})
    return total


async def run_retention(engine: AsyncEngine, days: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await purge_once(engine, days)
        except Exception:
            log.exception("retention pass failed; retrying next interval")
        try:
            await asyncio.wait_for(stop.wait(), INTERVAL_S)
        except TimeoutError:
            continue
