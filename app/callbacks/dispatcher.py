"""The dispatcher: turns pending rows of the `deliveries` outbox into HTTP callbacks.

Theory of operation. One loop claims work and up to `concurrency` attempt tasks run it:

    loop:  clear the wake flag
           slots full?        -> sleep until an attempt finishes
           claim one due row  -> start an attempt task on the claim's connection; loop at once
           nothing due        -> sleep until woken (NOTIFY, an attempt finished) or poll_interval
    attempt: send (sender.py) -> decide (policy.py) -> record_attempt (+ disable URL on 410)
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
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.callbacks import metrics
from app.callbacks.config import DispatcherConfig
from app.callbacks.policy import (
    DeliveryStatus,
    Outcome,
    Random,
    decide,
    parse_retry_after,
)
from app.callbacks.sender import Attempt, build_headers, send_attempt
from app.callbacks.signing import Signer
from app.callbacks.transport import make_client
from db import delivery_attempts as attempts_sql
from db import delivery_claims as claims_sql
from db.deliveries import CHANNEL
from db.listen import listen_hub
from db.urls import asyncpg_dsn

log = logging.getLogger(__name__)

DB_RETRY_MAX_S = 30.0
WARNED_HOSTS_MAX = 1024


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
        self._signer = Signer(config.secrets)
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._stats_at = 0.0
        # Deliveries whose failure could not even be recorded: left alone until the time given.
        self._skip: dict[int, float] = {}
        self._warned_hosts: set[str] = set()

    def wake(self) -> None:
        self._wake.set()

    def _notified(self, _payload_or_resumed: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then let attempts in flight finish (bounded)."""
        async with contextlib.AsyncExitStack() as stack:
            if self._client is None:
                self._client = await stack.enter_async_context(make_client(self._config.allowlist))
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
            delivery = await claims_sql.claim_due_delivery(conn, skip=self._skipped())
            if delivery is None:
                moved = await claims_sql.hold_back_blocked(conn)
                await conn.commit()
        except BaseException:
            await _close(conn)
            raise
        if delivery is None:
            await _close(conn)
            return moved > 0  # blocked rows left the candidate window: claim again at once
        task = asyncio.create_task(self._attempt(conn, delivery))
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        return True

    def _skipped(self) -> list[int]:
        now = time.monotonic()
        for delivery_id, until in list(self._skip.items()):
            if until <= now:
                del self._skip[delivery_id]
        return list(self._skip)

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

    async def _attempt(self, conn: AsyncConnection, delivery: claims_sql.ClaimedDelivery) -> None:
        """Send once and record the result. Whatever raises, the delivery leaves this attempt
        counted and backed off (or given up): a row that went back to the queue as it was would
        be claimed again at once, and a few such rows would hold every slot."""
        try:
            metrics.LAG.observe(delivery.lag_s)
            attempt = await self._send_safely(delivery)
            try:
                async with conn.begin_nested():
                    await self._record(conn, delivery, attempt)
            except Exception as exc:
                log.exception("could not record callback delivery %s", delivery.id)
                await self._record_unrecordable(conn, delivery, exc)
            await conn.commit()
        except Exception as exc:
            log.exception("could not record callback delivery %s; retrying", delivery.id)
            # Closing frees the row: keep this process's claims off it until the fallback ran.
            self._skip[delivery.id] = time.monotonic() + self._unrecordable_backoff_s()
            await _close(conn)
            await self._record_unrecordable_apart(delivery, exc)
        finally:
            await _close(conn)

    async def _send_safely(self, delivery: claims_sql.ClaimedDelivery) -> Attempt:
        try:
            return await self._send(delivery)
        except Exception as exc:  # a bug of ours: a failed attempt, retried on the schedule
            log.exception("callback delivery %s failed unexpectedly", delivery.id)
            return Attempt(
                Outcome.INTERNAL_ERROR, datetime.now(UTC), error=f"{type(exc).__name__}: {exc}"
            )

    async def _record_unrecordable(
        self, conn: AsyncConnection, delivery: claims_sql.ClaimedDelivery, exc: Exception
    ) -> None:
        """The fallback: count the attempt and back off, without its details."""
        number = delivery.attempts + 1
        decision = decide(Outcome.INTERNAL_ERROR, number, self._config.schedule, self._rand)
        metrics.FAILURES.labels(Outcome.INTERNAL_ERROR).inc()
        await attempts_sql.record_unrecordable(
            conn,
            delivery.id,
            status=decision.status,
            attempts=number,
            delay_s=decision.delay_s or 0.0,
            error=f"the attempt's result could not be recorded ({type(exc).__name__})",
        )

    async def _record_unrecordable_apart(
        self, delivery: claims_sql.ClaimedDelivery, exc: Exception
    ) -> None:
        """The fallback on a connection of its own (the claim's is broken). When even that fails,
        this process leaves the row alone for a while; another dispatcher may still take it."""
        try:
            async with self._engine.begin() as conn:
                await self._record_unrecordable(conn, delivery, exc)
            self._skip.pop(delivery.id, None)
        except Exception as again:
            delay = self._unrecordable_backoff_s()
            log.warning(
                "callback delivery %s: could not record its failure either (%s);"
                " leaving it alone for %.1f s",
                delivery.id,
                type(again).__name__,
                delay,
            )
            self._skip[delivery.id] = time.monotonic() + delay

    def _unrecordable_backoff_s(self) -> float:
        return max(self._config.schedule.delays_s[0], 1.0)

    async def _send(self, delivery: claims_sql.ClaimedDelivery) -> Attempt:
        if delivery.endpoint_disabled:
            return Attempt(
                Outcome.DISABLED,
                datetime.now(UTC),
                error="not sent: this URL answered 410 Gone earlier and is disabled",
            )
        assert self._client is not None
        number = delivery.attempts + 1
        headers = build_headers(
            self._signer,
            webhook_id=delivery.webhook_id,
            task_id=delivery.task_id,
            seq=delivery.seq,
            attempt=number,
            payload=delivery.payload,
            at=datetime.now(UTC),
        )
        return await send_attempt(
            self._client,
            delivery.url,
            delivery.payload,
            headers,
            timeout_s=self._config.timeout_s,
        )

    async def _record(
        self, conn: AsyncConnection, delivery: claims_sql.ClaimedDelivery, attempt: Attempt
    ) -> None:
        sent = attempt.outcome is not Outcome.DISABLED
        number = delivery.attempts + 1 if sent else delivery.attempts
        retry_after = parse_retry_after(attempt.retry_after, datetime.now(UTC))
        decision = decide(attempt.outcome, number, self._config.schedule, self._rand, retry_after)
        entry = _log_entry(number, attempt, decision.status, decision.delay_s)
        await attempts_sql.record_attempt(
            conn,
            delivery.id,
            status=decision.status,
            attempts=number,
            delay_s=decision.delay_s,
            attempted_at=attempt.started_at,
            status_code=attempt.status_code,
            error=attempt.error,
            entry=entry,
        )
        if decision.disable_url:
            await attempts_sql.disable_endpoint(
                conn, delivery.url, f"410 Gone for delivery {delivery.id}"
            )
        if attempt.outcome is Outcome.BLOCKED:
            self._warn_blocked_once(delivery.url, attempt.error)
        if sent:
            metrics.ATTEMPTS.labels(attempt.outcome).inc()
            metrics.ATTEMPT_SECONDS.observe(attempt.latency_s)
        if attempt.outcome is not Outcome.DELIVERED:
            metrics.FAILURES.labels(attempt.outcome).inc()
        if decision.status is not DeliveryStatus.PENDING:
            metrics.FINISHED.labels(decision.status).inc()
        log.info(
            "callback %s seq %s of task %s: %s",
            delivery.webhook_id,
            delivery.seq,
            delivery.task_id,
            attempt.outcome,
            extra={"status_code": attempt.status_code, "next": decision.status},
        )

    def _warn_blocked_once(self, url: str, error: str | None) -> None:
        """Say at warning level, once per host and process, that a host needs the allowlist."""
        try:
            host = httpx.URL(url).host
        except Exception:
            host = url
        if host in self._warned_hosts:
            return
        if len(self._warned_hosts) >= WARNED_HOSTS_MAX:
            self._warned_hosts.clear()
        self._warned_hosts.add(host)
        log.warning("callbacks to %s are refused: %s", host, error)

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


def _log_entry(
    number: int, attempt: Attempt, status: DeliveryStatus, delay_s: float | None
) -> dict[str, Any]:
    return {
        "attempt": number,
        "at": attempt.started_at.isoformat(timespec="milliseconds"),
        "outcome": str(attempt.outcome),
        "status_code": attempt.status_code,
        "latency_ms": round(attempt.latency_s * 1000),
        "error": attempt.error,
        "response_bytes": attempt.body_bytes,
        "response_excerpt": attempt.body_excerpt,
        "result": str(status),
        "retry_in_s": None if delay_s is None else round(delay_s, 3),
    }


async def _close(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


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
