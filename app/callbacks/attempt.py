"""One claimed delivery's attempt: send it, decide what comes next, record that in the claim's
transaction (the dispatcher's theory of operation is in dispatcher.py).

Whatever raises, the delivery leaves its attempt counted and backed off (or given up): a row that
went back to the queue as it was would be claimed again at once, and a few such rows would hold
every slot. A record that fails gives the claim's transaction up; the fallback then counts the
attempt apart. When even that cannot be written, this process holds the row back for a while
(`HeldBack`); another dispatcher may still take it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.callbacks import metrics
from app.callbacks.config import DispatcherConfig
from app.callbacks.policy import DeliveryStatus, Outcome, Random, decide, parse_retry_after
from app.callbacks.sender import Attempt, build_headers, send_attempt
from app.callbacks.signing import Signer
from db import delivery_attempts as attempts_sql
from db.delivery_claims import ClaimedDelivery

log = logging.getLogger("app.callbacks.dispatcher")  # one logger for the dispatcher's lines

WARNED_HOSTS_MAX = 1024


class HeldBack:
    """Deliveries this process leaves alone until a time: those whose failure could not even be
    recorded (the claim passes them as `skip`)."""

    def __init__(self) -> None:
        self._until: dict[int, float] = {}

    def hold(self, delivery_id: int, seconds: float) -> None:
        self._until[delivery_id] = time.monotonic() + seconds

    def holds(self, delivery_id: int) -> bool:
        until = self._until.get(delivery_id)
        return until is not None and until > time.monotonic()

    def release(self, delivery_id: int) -> None:
        self._until.pop(delivery_id, None)

    def ids(self) -> list[int]:
        """The deliveries held back now (the ones whose time is up are let go)."""
        now = time.monotonic()
        for delivery_id, until in list(self._until.items()):
            if until <= now:
                del self._until[delivery_id]
        return list(self._until)


class Attempts:
    """Runs attempts of claimed deliveries with one client, one signer and one retry schedule."""

    def __init__(
        self,
        engine: AsyncEngine,
        config: DispatcherConfig,
        client: httpx.AsyncClient,
        held_back: HeldBack,
        rand: Random,
    ) -> None:
        self._engine = engine
        self._config = config
        self._client = client
        self._held_back = held_back
        self._rand = rand
        self._signer = Signer(config.secrets)
        self._warned_hosts: set[str] = set()

    async def run(self, conn: AsyncConnection, delivery: ClaimedDelivery) -> None:
        """Send once and record the result on `conn`, the claim's connection (closed after).

        No savepoint around the record (two round trips on every callback): when the record
        fails, the claim's transaction is given up, which frees the row, and the fallback counts
        the attempt on a connection of its own (guarded by the attempt count, so a row another
        dispatcher took meanwhile is left alone). Meanwhile this process holds the row back.
        """
        try:
            metrics.LAG.observe(delivery.lag_s)
            attempt = await self._send_safely(delivery)
            await self._record(conn, delivery, attempt)
            await conn.commit()
        except Exception as exc:
            log.exception("could not record callback delivery %s", delivery.id)
            # Closing frees the row: keep this process's claims off it until the fallback ran.
            self._held_back.hold(delivery.id, self._unrecordable_backoff_s())
            await close_quietly(conn)
            await self._record_unrecordable_apart(delivery, exc)
        finally:
            await close_quietly(conn)

    async def _send_safely(self, delivery: ClaimedDelivery) -> Attempt:
        try:
            return await self._send(delivery)
        except Exception as exc:  # a bug of ours: a failed attempt, retried on the schedule
            log.exception("callback delivery %s failed unexpectedly", delivery.id)
            return Attempt(
                Outcome.INTERNAL_ERROR, datetime.now(UTC), error=f"{type(exc).__name__}: {exc}"
            )

    async def _send(self, delivery: ClaimedDelivery) -> Attempt:
        if delivery.endpoint_disabled:
            return Attempt(
                Outcome.DISABLED,
                datetime.now(UTC),
                error="not sent: this URL answered 410 Gone earlier and is disabled",
            )
        headers = build_headers(
            self._signer,
            webhook_id=delivery.webhook_id,
            task_id=delivery.task_id,
            seq=delivery.seq,
            attempt=delivery.attempts + 1,
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
        self, conn: AsyncConnection, delivery: ClaimedDelivery, attempt: Attempt
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
            reason = f"410 Gone for delivery {delivery.id}"
            await attempts_sql.disable_endpoint(conn, delivery.url, reason)
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

    async def _record_unrecordable(
        self, conn: AsyncConnection, delivery: ClaimedDelivery, exc: Exception
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

    async def _record_unrecordable_apart(self, delivery: ClaimedDelivery, exc: Exception) -> None:
        """The fallback on a connection of its own (the claim's is broken). When even that fails,
        this process leaves the row alone for a while; another dispatcher may still take it."""
        try:
            async with self._engine.begin() as conn:
                await self._record_unrecordable(conn, delivery, exc)
            self._held_back.release(delivery.id)
        except Exception as again:
            delay = self._unrecordable_backoff_s()
            log.warning(
                "callback delivery %s: could not record its failure either (%s);"
                " leaving it alone for %.1f s",
                delivery.id,
                type(again).__name__,
                delay,
            )
            self._held_back.hold(delivery.id, delay)

    def _unrecordable_backoff_s(self) -> float:
        return max(self._config.schedule.delays_s[0], 1.0)

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


async def close_quietly(conn: AsyncConnection) -> None:
    """Close a claim's connection; a connection that is already broken closes without a word."""
    with contextlib.suppress(Exception):
        await conn.close()
