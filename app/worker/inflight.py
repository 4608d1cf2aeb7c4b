"""The tasks an account runner has in flight: one `InFlight` record per task, and their writes.

A record holds the task's latest snapshot, its deadline and the lock that orders its writes (a
bot event, the submit's confirmation, a timeout). Every change goes through `record`, under the
runner's fence: a task that becomes final, goes back to the queue or is no longer this runner's
(taken over, handed over) is forgotten — record, correlation keys and all — and its slot is
free. Whoever still holds a forgotten record's lock finds the record gone and stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.correlation import Correlator
from app.domain.status import TaskStatus, is_final
from app.domain.task import Task
from app.worker.ownership import OwnedAccount
from app.worker.translate import Change
from app.worker.wakeup import Wakeup

log = logging.getLogger(__name__)


@dataclass
class InFlight:
    task: Task  # the latest snapshot this runner wrote or read
    deadline: float  # wall-clock seconds; past it the task fails with the timeout reason
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Its result came and is being measured before SUCCESS (video_facts.py): nothing more to do.
    finishing: bool = False


class InFlightTasks:
    def __init__(
        self, engine: AsyncEngine, account: OwnedAccount, correlator: Correlator, wakeup: Wakeup
    ) -> None:
        self._engine = engine
        self._account = account
        self._correlator = correlator
        self._wakeup = wakeup
        self._records: dict[str, InFlight] = {}

    def hold(self, task: Task, deadline: float) -> InFlight:
        record = self._records[task.id] = InFlight(task, deadline)
        return record

    def get(self, task_id: str) -> InFlight | None:
        return self._records.get(task_id)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[InFlight]:
        """A snapshot: records may be forgotten while the caller awaits."""
        return iter(list(self._records.values()))

    def expired(self, now: float) -> list[str]:
        return [task_id for task_id, r in self._records.items() if r.deadline <= now]

    def lock(self, task_id: str) -> asyncio.Lock:
        """The record's lock; a fresh one for a task no longer held (its write is refused)."""
        record = self._records.get(task_id)
        return record.lock if record is not None else asyncio.Lock()

    def forget(self, task_id: str) -> None:
        if self._records.pop(task_id, None) is not None:
            self._wakeup.fire()  # a slot is free
        self._correlator.forget(task_id)

    def forget_all(self) -> None:
        for task_id in list(self._records):
            self.forget(task_id)

    async def record(
        self, task_id: str, values: dict[str, Any], kind: str, data: dict[str, Any] | None = None
    ) -> Task | None:
        """Record a change under this runner's fence; None when the task is no longer ours."""
        changed = await taskstore.record_change(
            self._engine,
            task_id,
            values,
            kind=kind,
            data=data,
            expected_fence=self._account.fence,
            expected_account_id=self._account.id,
        )
        if changed is None or is_final(changed.status) or changed.account_id != self._account.id:
            self.forget(task_id)
            if changed is None:
                log.info("task no longer held by this runner", extra={"task": task_id})
        elif changed.status == TaskStatus.PENDING:
            self.forget(task_id)
        elif (record := self._records.get(task_id)) is not None:
            record.task = changed
        return changed

    async def apply(self, task_id: str, change: Change) -> Task | None:
        return await self.record(task_id, change.values, change.kind, change.data or None)

    async def fail(self, task_id: str, reason: str, kind: str) -> None:
        async with self.lock(task_id):
            values = {"status": TaskStatus.FAILURE, "fail_reason": reason}
            await self.record(task_id, values, kind, {"reason": reason})
