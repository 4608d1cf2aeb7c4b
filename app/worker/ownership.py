"""Account ownership: which worker drives which Discord account, and for how long.

Every heartbeat (a third of the lease TTL) the worker refreshes its row in `workers`, renews its
leases, stops the runner of any account it lost (taken over, disabled), restarts a runner that
died, and claims accounts up to a fair share (usable accounts / live workers, rounded up). A
worker above its share hands back one idle account per heartbeat, so a newly started worker gets
work without interrupting a task.
A worker that dies simply stops renewing; its accounts are claimable once the TTL has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.worker.restart_backoff import RestartBackoff
from db import accounts as account_queries
from db import workers as worker_queries
from db.task_scans import active_task_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnedAccount:
    """An account this worker holds, with the fence every write on its behalf must carry."""

    row: Mapping[str, Any]
    owner: str
    fence: int

    @property
    def id(self) -> str:
        return str(self.row["id"])


RunnerFactory = Callable[[OwnedAccount], Coroutine[Any, Any, None]]


class Ownership:
    def __init__(
        self,
        engine: AsyncEngine,
        owner: str,
        ttl_s: float,
        start_runner: RunnerFactory,
        *,
        backoff: RestartBackoff | None = None,
        on_released: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._owner = owner
        self._ttl_s = ttl_s
        self._start_runner = start_runner
        self._backoff = backoff or RestartBackoff()
        # Told when this worker let accounts go, so their hand-over need not wait a sweep.
        self._on_released = on_released
        self._clock = clock
        self._owned: dict[str, OwnedAccount] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._crashed: set[str] = set()  # runners that crashed and wait for their backoff

    @property
    def owned(self) -> dict[str, OwnedAccount]:
        return dict(self._owned)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("account ownership heartbeat failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._ttl_s / 3)
        finally:
            await self._stop_all()

    async def tick(self) -> None:
        async with self._engine.begin() as conn:
            await worker_queries.heartbeat_worker(
                conn, self._owner, socket.gethostname(), os.getpid(), self._ttl_s
            )
            fences = {i: a.fence for i, a in self._owned.items()}
            renewed = await account_queries.renew_account_leases(
                conn, self._owner, fences, self._ttl_s
            )
            lost = set(self._owned) - renewed
            if lost:
                await account_queries.release_accounts(conn, self._owner, sorted(lost))
        for account_id in lost:
            log.warning("account lease lost; stopping its runner", extra={"account": account_id})
            await self._drop(account_id)
        if lost and self._on_released is not None:
            self._on_released()
        self._restart_dead_runners()
        await self._claim_fair_share()

    def _restart_dead_runners(self) -> None:
        # A runner that returned stopped on purpose (account unusable): the next renewal drops
        # the account. One that raised crashed: start it again on the same lease once its
        # backoff allows (a runner failing at start must not reconnect every heartbeat).
        now = self._clock()
        for account_id, runner in list(self._runners.items()):
            if account_id not in self._crashed:
                if not runner.done() or runner.cancelled() or runner.exception() is None:
                    continue
                self._crashed.add(account_id)
                delay = self._backoff.crashed(account_id, now)
                log.error(
                    "account runner crashed; restarting in %.0f s",
                    delay,
                    exc_info=runner.exception(),
                    extra={"account": account_id},
                )
            if self._backoff.may_start(account_id, now):
                self._spawn(self._owned[account_id])

    async def _claim_fair_share(self) -> None:
        async with self._engine.begin() as conn:
            usable = await account_queries.usable_account_count(conn)
            workers = await worker_queries.live_worker_count(conn, self._ttl_s)
            share = math.ceil(usable / max(workers, 1))
            wanted = share - len(self._owned)
            claimed = await account_queries.claim_accounts(conn, self._owner, self._ttl_s, wanted)
            excess = None
            if wanted < 0:
                busy = await active_task_counts(conn)
                idle = [i for i in self._owned if not busy.get(i)]
                if idle:
                    excess = sorted(idle)[-1]
                    await account_queries.release_accounts(conn, self._owner, [excess])
        for row in claimed:
            account = OwnedAccount(row=dict(row), owner=self._owner, fence=int(row["fence"]))
            log.info("account claimed", extra={"account": account.id, "fence": account.fence})
            self._owned[account.id] = account
            self._spawn(account)
        if excess is not None:
            log.info("handing an idle account to another worker", extra={"account": excess})
            await self._drop(excess)

    def _spawn(self, account: OwnedAccount) -> None:
        self._crashed.discard(account.id)
        self._backoff.started(account.id, self._clock())
        self._runners[account.id] = asyncio.create_task(
            self._start_runner(account), name=f"account-{account.id}"
        )

    async def _drop(self, account_id: str) -> None:
        self._owned.pop(account_id, None)
        self._crashed.discard(account_id)
        self._backoff.forget(account_id)
        runner = self._runners.pop(account_id, None)
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner

    async def _stop_all(self) -> None:
        # All at once: each runner's stop may wait for its gateway's closing handshake (up to
        # its close timeout), and one after another those waits added up past a shutdown's.
        await asyncio.gather(*(self._drop(account_id) for account_id in list(self._runners)))
        with contextlib.suppress(Exception):
            async with self._engine.begin() as conn:
                await account_queries.release_accounts(conn, self._owner)
                await worker_queries.remove_worker(conn, self._owner)
