"""The sweeper: every task ends, whatever happened to the runner that had it.

Each worker runs one in its supervisor loop, every `INTERVAL_S` and at once when woken (a task
was queued — it may be a follow-up pinned to a disabled account — or the worker let an account
go). A pass:

1. hands over the work of every out-of-service account nobody holds (`handover.hand_over`);
2. fails every in-flight task past its deadline by more than `GRACE_S` that nobody else will end
   (`db.task_scans.overdue_tasks` says which): FAILURE with the timeout reason every dialect knows,
   an event saying the sweeper ended it, and its callback.

Safe with several workers: overdue rows are taken with `FOR UPDATE SKIP LOCKED` and changed in
that same transaction, so two sweepers never take one row and a runner writing a row right now is
skipped, not waited on; a runner whose write comes after finds the task final and lets it go.
A live runner times its own tasks out at the deadline; the grace keeps the sweeper out of its way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.domain.status import TIMEOUT_REASON, TaskStatus
from app.worker.handover import ReaderFactory, hand_over
from app.worker.wakeup import Wakeup
from db import accounts as account_queries
from db import task_scans

log = logging.getLogger(__name__)

INTERVAL_S = 5.0  # between passes when nothing wakes the sweeper
MIN_GAP_S = 0.5  # wake-ups closer than this share one pass
GRACE_S = 60.0  # past the deadline a live runner gets to end its own task first
ABANDON_S = 600.0  # past the deadline by this much, a task is ended whoever holds it
DEFAULT_TIMEOUT_S = 600  # the deadline of a task whose account no longer exists
BATCH = 100
STRANDED_DETAIL = "no runner ended this task by its deadline; the sweeper did"


@dataclass(frozen=True)
class SweepResult:
    handed_over: int  # tasks of out-of-service accounts that changed
    expired: int  # overdue tasks failed


class Sweeper:
    def __init__(
        self,
        engine: AsyncEngine,
        owner: str,
        *,
        lease_ttl_s: float,
        open_reader: ReaderFactory,
        interval_s: float = INTERVAL_S,
        grace_s: float = GRACE_S,
        abandon_s: float = ABANDON_S,
    ) -> None:
        self._engine = engine
        self._owner = owner
        self._lease_ttl_s = lease_ttl_s
        self._open_reader = open_reader
        self._interval_s = interval_s
        self._grace_s = grace_s
        self._abandon_s = abandon_s
        self._wakeup = Wakeup()

    def wake(self) -> None:
        self._wakeup.fire()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep_once()
            except Exception:
                log.exception("sweep failed; retrying next interval")
            waiter = asyncio.create_task(self._wakeup.wait(self._interval_s))
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({waiter, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                stopping.cancel()
            # However often it is woken, a pass at most every MIN_GAP_S (never a hot loop).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), MIN_GAP_S)

    async def sweep_once(self) -> SweepResult:
        return SweepResult(await self.hand_over_accounts(), await self.expire_overdue())

    async def hand_over_accounts(self) -> int:
        async with self._engine.connect() as conn:
            account_ids = await account_queries.accounts_to_hand_over(conn)
        changed = 0
        for account_id in account_ids:
            try:
                changed += await hand_over(
                    self._engine,
                    account_id,
                    owner=self._owner,
                    ttl_s=self._lease_ttl_s,
                    open_reader=self._open_reader,
                )
            except Exception:
                # One account's trouble must not keep the others' tasks stranded.
                log.exception("hand-over failed; retrying next pass", extra={"account": account_id})
        return changed

    async def expire_overdue(self) -> int:
        expired = 0
        while True:
            async with self._engine.begin() as conn:
                rows = await task_scans.overdue_tasks(
                    conn,
                    grace_s=self._grace_s,
                    abandon_s=self._abandon_s,
                    default_timeout_s=DEFAULT_TIMEOUT_S,
                    limit=BATCH,
                )
                ended = 0
                for row in rows:
                    changed = await taskstore.record_change(
                        conn,
                        row["id"],
                        {"status": TaskStatus.FAILURE, "fail_reason": TIMEOUT_REASON},
                        kind="timeout",
                        data={"reason": TIMEOUT_REASON, "detail": STRANDED_DETAIL},
                        expected_statuses={row["status"]},
                    )
                    ended += changed is not None
            expired += ended
            if len(rows) < BATCH or not ended:
                break
        if expired:
            log.warning("stranded tasks ended by the sweeper", extra={"tasks": expired})
        return expired
