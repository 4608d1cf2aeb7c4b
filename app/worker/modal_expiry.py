"""Tasks waiting in MODAL for the client's input (plus `/mj/submit/modal`) do not wait forever.

Such a task holds no account slot, so no account's timeout covers it; this sweep, run by every
worker (the status guard makes concurrent sweeps harmless), fails it with a clear reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.status import TaskStatus
from db.task_scans import stale_modal_tasks

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 30.0
REASON = "the modal input (/mj/submit/modal) never came"


async def expire_modal_tasks(engine: AsyncEngine, older_than_s: float) -> int:
    async with engine.connect() as conn:
        stale = await stale_modal_tasks(conn, older_than_s)
    expired = 0
    for task_id in stale:
        changed = await taskstore.record_change(
            engine,
            task_id,
            {"status": TaskStatus.FAILURE, "fail_reason": REASON},
            kind="timeout",
            data={"reason": REASON},
            expected_statuses={TaskStatus.MODAL},
        )
        expired += changed is not None
    if expired:
        log.info("modal tasks expired", extra={"tasks": expired})
    return expired


async def run_modal_expiry(engine: AsyncEngine, older_than_s: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await expire_modal_tasks(engine, older_than_s)
        except Exception:
            log.exception("modal expiry sweep failed; retrying next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_INTERVAL_S)
