"""The dispatcher: turns pending rows of the `deliveries` outbox into HTTP callbacks.

Theory of operation. One loop claims work and up to `concurrency` attempt tasks run it:

    loop:  clear the wake flag
           slots full?        -> sleep until an attempt finishes
           claim one due row  -> start an attempt task on the claim's connection; loop at once
           nothing due        -> sleep until woken (NOTIFY, an attempt finished) or poll_interval
    attempt (attempt.py): send (sender.py) -> decide (policy.py) -> record (+ disable URL on 410)
             -> COMMIT, which releases the row lock and lets the task's next delivery go

The row lock taken by the claim is the only "this one is being sent" marker, so a crash of any
kind returns the row to the queue at once and nothing needs a lease or a reaper. An attempt
finishing wakes the loop, because it may have unblocked the next delivery of its task. The
process's LISTEN hub (`db.listen`) wakes the loop on `NOTIFY mjrelay_deliveries`; polling covers a
lost LISTEN connection and retries coming due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.callbacks import metrics
from app.callbacks.attempt import Attempts, HeldBack, close_quietly
from app.callbacks.config import DispatcherConfig
from app.callbacks.policy import Random
from app.callbacks.transport import make_client
from db import delivery_claims as claims_sql
from db.deliveries import CHANNEL
from db.listen import listen_hub
from db.urls import asyncpg_dsn

log = logging.getLogger(__name__)

DB_RETRY_MAX_S = 30.0


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        config: DispatcherConfig,
        *,
        client: httpx.AsyncClient | None = None,
        listen_dsn: str | None = None,
        rand: Random = random.random,
    ) -> None:
        self._engine = engine
        self._config = config
        self._client = client
        self._listen_dsn = listen_dsn
        self._rand = rand
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._stats_at = 0.0
        self._held_back = HeldBack()
        self._attempts: Attempts | None = None  # made in `run`, with the client

    def wake(self) -> None:
        self._wake.set()

    def _notified(self, _payload_or_resumed: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then let attempts in flight finish (bounded)."""
        async with contextlib.AsyncExitStack() as stack:
            if self._client is None:
                self._client = await stack.enter_async_context(make_client(self._config.allowlist))
            self._attempts = Attempts(
                self._engine, self._config, self._client, self._held_back, self._rand
            )
            if self._listen_dsn:
                # Every NOTIFY, and every (re)start of LISTEN, wakes the loop.
                hub = listen_hub(self._listen_dsn)
                subscription = hub.subscribe(CHANNEL, self._notified, self._notified)
                stack.callback(subscription.close)
            waker = asyncio.create_task(self._wake_on(stop))
            try:
                await self._claim_loop(stop)
            finally:
                await self._drain()
                waker.cancel()
                await asyncio.gather(waker, return_exceptions=True)

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    async def _sleep(self, seconds: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            self._wake.clear()
            if len(self._inflight) >= self._config.concurrency:
                await self._sleep(None)
                continue
            try:
                started = await self._start_one()
                await self._refresh_stats()
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(DB_RETRY_MAX_S, self._config.poll_interval_s * 2**failures)
                log.warning("callback claim failed (%s); retrying in %.1f s", exc, delay)
                await self._sleep(delay)
                continue
            if not started:
                await self._sleep(self._config.poll_interval_s)

    async def _start_one(self) -> bool:
        """Claim one due delivery and start its attempt; False when there was nothing to do."""
        conn = await self._engine.connect()
        moved = 0
        try:
            await conn.begin()
            delivery = await claims_sql.claim_due_delivery(conn, skip=self._held_back.ids())
            if delivery is None:
                moved = await claims_sql.hold_back_blocked(conn)
                await conn.commit()
        except BaseException:
            await close_quietly(conn)
            raise
        if delivery is None:
            await close_quietly(conn)
            return moved > 0  # blocked rows left the candidate window: claim again at once
        if self._held_back.holds(delivery.id):
            # Held back while the claim was on its way (its skip list was read before an
            # attempt gave the row up): let it go and claim again with the list as it is now.
            await close_quietly(conn)
            return True
        assert self._attempts is not None
        task = asyncio.create_task(self._attempts.run(conn, delivery))
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        return True

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()

    async def _drain(self) -> None:
        if not self._inflight:
            return
        _done, pending = await asyncio.wait(self._inflight, timeout=self._config.timeout_s + 5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _refresh_stats(self) -> None:
        now = time.monotonic()
        if now - self._stats_at < self._config.stats_interval_s:
            return
        self._stats_at = now
        async with self._engine.connect() as conn:
            stats = await claims_sql.queue_stats(conn)
        metrics.QUEUE_DEPTH.labels("pending").set(stats.pending)
        metrics.QUEUE_DEPTH.labels("due").set(stats.due)
        metrics.OLDEST_DUE.set(stats.oldest_due_s)


async def run_dispatcher(config: DispatcherConfig, database_url: str, stop: asyncio.Event) -> None:
    """Run a dispatcher with `config` on `database_url` until `stop` is set."""
    engine = claims_sql.make_dispatcher_engine(
        database_url, pool_size=config.concurrency + 1, hold_timeout_s=config.hold_timeout_s
    )
    try:
        dispatcher = Dispatcher(engine, config, listen_dsn=asyncpg_dsn(database_url))
        log.info("callback dispatcher started (concurrency %s)", config.concurrency)
        await dispatcher.run(stop)
    finally:
        await engine.dispose()
        log.info("callback dispatcher stopped")
