"""The archiver: copies every succeeded task's result files into the store, retried with backoff.

Jobs are `task_objects` rows the SUCCESS transaction wrote (app/taskstore.py), so a result is
archived even when nobody ever fetches it, and a crash (or kill -9) at any point only delays it:
`claim_due` schedules the next try *before* an attempt runs. An expired Discord link is re-signed
through the task's account (`POST /attachments/refresh-urls`). After `DELAYS_S` is used up the
job is `failed`: the task keeps Discord's URL (served through `/files` while it answers) and its
history says `archive_failed`. Any number of workers share the queue (FOR UPDATE SKIP LOCKED).

At start it also moves results archived the old way (bytes in `task_files`) into the store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from app import task_notes, taskstore
from app.storage.archive import archive_file
from app.storage.legacy import migrate_legacy_blobs
from app.storage.refresh import Refresher, refresher_for
from app.storage.sources import ResultSources
from app.storage.store import ObjectStore
from app.worker.wakeup import Listener, Wakeup
from db import objects as object_queries

log = logging.getLogger(__name__)

# Seconds until the next try after attempt 1, 2, …: about a day in all, then `failed`.
DELAYS_S = (3.0, 15.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0)
BATCH = 4
POLL_S = 5.0
ERROR_PAUSE_S = 5.0


def reason_of(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class Archiver:
    def __init__(
        self,
        engine: AsyncEngine,
        store: ObjectStore,
        *,
        database_url: str,
        default_api_base: str,
        delays: tuple[float, ...] = DELAYS_S,
    ) -> None:
        self.engine = engine
        self.store = store
        self.database_url = database_url
        self.default_api_base = default_api_base
        self.delays = delays
        self.wakeup = Wakeup()

    async def run(self, stop: asyncio.Event) -> None:
        listener = Listener(
            self.database_url, [object_queries.ARCHIVE_CHANNEL], lambda _c: self.wakeup.fire()
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(listener.run(stop))
            group.create_task(self._loop(stop))

    async def _loop(self, stop: asyncio.Event) -> None:
        migrated = False
        while not stop.is_set():
            try:
                if not migrated:
                    await migrate_legacy_blobs(self.engine, self.store)
                    migrated = True
                busy = await self.run_once()
            except Exception:
                log.exception("archiver pass failed; retrying")
                busy = False
                await asyncio.sleep(ERROR_PAUSE_S)
            if not busy:
                await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self.wakeup.wait(POLL_S))
        try:
            await asyncio.wait({stopping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            woken.cancel()

    async def run_once(self) -> int:
        """Claim the due jobs (one batch) and run them; how many there were."""
        async with self.engine.begin() as conn:
            jobs = await object_queries.claim_due(conn, limit=BATCH, delays=self.delays)
        if jobs:
            await asyncio.gather(*(self._attempt(job) for job in jobs))
        return len(jobs)

    async def _attempt(self, job: RowMapping) -> None:
        task_id, name = job["task_id"], job["name"]
        task = await taskstore.get_task(self.engine, task_id)
        if task is None:
            return  # deleted meanwhile: its row went with it
        try:
            account = await self._account(task.account_id)
            archived = await archive_file(
                self.engine,
                self.store,
                task,
                name,
                job["key"],
                default_api_base=self.default_api_base,
                refresh=self._refresher(account),
                sources=ResultSources.for_api_base(self._api_base(account)),
            )
        except Exception as exc:
            await self._failed_attempt(job, reason_of(exc))
            return
        public = self.store.public_url(archived.key)
        await task_notes.record_note(
            self.engine,
            task_id,
            kind="archived",
            data={"file": name, "size": archived.size, "type": archived.content_type},
            properties=self._public_files(task.properties, name, public),
        )

    @staticmethod
    def _public_files(properties: Any, name: str, public: str | None) -> dict[str, Any] | None:
        if public is None:
            return None
        current = properties.get("_public_files") if isinstance(properties, dict) else None
        return {"_public_files": {**(current if isinstance(current, dict) else {}), name: public}}

    async def _account(self, account_id: str | None) -> dict[str, Any] | None:
        """The task's account as the archive needs it (api_base, token), in one read."""
        if not account_id:
            return None
        return await object_queries.signing_account(self.engine, account_id)

    def _api_base(self, account: dict[str, Any] | None) -> str:
        return (account["api_base"] if account is not None else None) or self.default_api_base

    def _refresher(self, account: dict[str, Any] | None) -> Refresher | None:
        if account is None:
            return None
        return refresher_for(self._api_base(account), account["token"])

    async def _failed_attempt(self, job: RowMapping, reason: str) -> None:
        task_id, name = job["task_id"], job["name"]
        final = job["attempts"] >= len(self.delays)
        log.warning(
            "archive attempt failed",
            extra={"task": task_id, "file": name, "attempt": job["attempts"], "reason": reason},
        )
        async with self.engine.begin() as conn:
            if not final:
                await object_queries.mark_retry(conn, task_id=task_id, name=name, error=reason)
                return
            await object_queries.mark_failed(conn, task_id=task_id, name=name, error=reason)
            await task_notes.record_note(
                conn,
                task_id,
                kind="archive_failed",
                data={"file": name, "reason": reason, "attempts": job["attempts"]},
            )
