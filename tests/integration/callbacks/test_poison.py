"""Hostile receivers and unrecordable attempts never stall other tasks' callbacks (issue 13 §1).

Every failure of an attempt becomes a recorded failed attempt with its back-off (or a permanent
failure for a URL that can never work); the attempt log stays bounded; a dispatcher that cannot
even record a failure backs off instead of claiming the same row again at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import pytest

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from db import delivery_attempts as db
from tests.integration.callbacks.helpers import (
    LOOPBACK,
    Reply,
    add_delivery,
    add_task,
    attempts_of,
    delivery_rows,
    wait_until,
)

POISONS = ("retry-after-400-digits", "retry-after-superscript", "nul-body", "invalid-idna")


async def test_poisoned_callbacks_do_not_stall_a_normal_one(engine, receivers, dispatchers):
    """20 poisoned deliveries + 1 normal one, default concurrency and schedule: the normal one
    arrives within 5 s, each poisoned one is recorded once with its back-off, nothing loops."""
    replies = {
        "retry-after-400-digits": Reply(503, b"busy", {"retry-after": "9" * 400}),
        "retry-after-superscript": Reply(503, b"busy", {"retry-after": "²"}),
        "nul-body": Reply(500, b'{"error": "bad\x00byte \xff\xfe"}'),
    }
    hosts = {
        name: await receivers(lambda _r, reply=reply: reply) for name, reply in replies.items()
    }
    normal = await receivers(lambda _r: Reply())
    kinds: dict[str, str] = {}
    for n in range(20):
        kind = POISONS[n % len(POISONS)]
        task_id = f"poison-{n}"
        await add_task(engine, task_id)
        # A row written before submit-time checks existed: the URL the dialects now refuse.
        url = "http://xn--a/hook" if kind == "invalid-idna" else hosts[kind].url()
        await add_delivery(engine, task_id, url)
        kinds[task_id] = kind
    await add_task(engine, "normal")
    await add_delivery(engine, "normal", normal.url())

    config = DispatcherConfig(allowlist=LOOPBACK)  # defaults: concurrency 16, 5s,1m,… schedule
    started = time.monotonic()
    dispatchers(config)
    await wait_until(lambda: normal.requests, timeout_s=5)
    assert time.monotonic() - started < 5

    async def all_recorded() -> bool:
        return all(r["attempts"] >= 1 for r in await delivery_rows(engine))

    await wait_until(all_recorded, timeout_s=5)
    await asyncio.sleep(1.0)  # a hot loop would attempt them again and again meanwhile
    rows = {r["task_id"]: r for r in await delivery_rows(engine)}
    now = datetime.now(UTC)
    for task_id, kind in kinds.items():
        row = rows[task_id]
        [entry] = attempts_of(row)
        assert row["attempts"] == 1 and entry["count"] == 1, (kind, row)
        if kind == "invalid-idna":
            assert row["status"] == "failed" and entry["outcome"] == "invalid_url"
            assert "invalid URL" in row["last_error"]
            continue
        assert row["status"] == "pending" and row["next_attempt_at"] > now, (kind, row)
        assert entry["outcome"] == "http_error" and entry["result"] == "pending"
        if kind == "retry-after-400-digits":
            assert entry["retry_in_s"] == 86400.0  # clamped, then capped by the schedule
        if kind == "nul-body":
            assert "\x00" not in entry["response_excerpt"]
            assert entry["response_excerpt"].startswith('{"error": "bad\ufffdbyte')
    for kind, receiver in hosts.items():
        assert len(receiver.requests) == sum(1 for k in kinds.values() if k == kind), kind
    assert rows["normal"]["status"] == "delivered" and len(normal.requests) == 1


async def test_the_attempt_log_is_bounded_with_a_running_count(engine, receivers, dispatchers):
    receiver = await receivers(lambda _r: Reply(500, b"\x00" * 20_000))
    await add_task(engine, "t-many")
    await add_delivery(engine, "t-many", receiver.url())
    attempts = db.ATTEMPT_LOG_KEEP + 10
    schedule = RetrySchedule((0.0,) * (attempts - 1), jitter=0.0)
    dispatchers(DispatcherConfig(allowlist=LOOPBACK, schedule=schedule, poll_interval_s=0.05))

    async def failed() -> bool:
        return (await delivery_rows(engine))[0]["status"] == "failed"

    await wait_until(failed, timeout_s=30)
    [row] = await delivery_rows(engine)
    log = attempts_of(row)
    assert row["attempts"] == attempts and len(receiver.requests) == attempts
    assert len(log) == db.ATTEMPT_LOG_KEEP
    assert [e["count"] for e in log] == list(range(11, attempts + 1))
    assert [e["attempt"] for e in log] == list(range(11, attempts + 1))
    assert all(len(e["response_excerpt"]) <= 256 for e in log)


async def test_an_attempt_that_cannot_be_recorded_is_counted_and_backed_off(
    engine, receivers, dispatchers, monkeypatch
) -> None:
    receiver = await receivers(lambda _r: Reply(500))

    async def broken(*_args, **_kwargs):
        raise RuntimeError("recording is broken")

    monkeypatch.setattr(db, "record_attempt", broken)
    await add_task(engine, "t-unrecordable")
    await add_delivery(engine, "t-unrecordable", receiver.url())
    dispatchers(DispatcherConfig(allowlist=LOOPBACK, poll_interval_s=0.05))

    async def counted() -> bool:
        return (await delivery_rows(engine))[0]["attempts"] == 1

    await wait_until(counted, timeout_s=5)
    await asyncio.sleep(1.0)
    [row] = await delivery_rows(engine)
    assert row["status"] == "pending" and row["next_attempt_at"] > datetime.now(UTC)
    assert "could not be recorded" in row["last_error"]
    assert len(receiver.requests) == 1


async def test_a_dispatcher_that_cannot_record_anything_backs_off(
    engine, receivers, dispatchers, monkeypatch
) -> None:
    """Even the fallback fails: the row is left alone for a while, other rows still flow."""
    stuck = await receivers(lambda _r: Reply(500))
    normal = await receivers(lambda _r: Reply())
    real_record = db.record_attempt

    async def broken(*_args, **_kwargs):
        raise RuntimeError("recording is broken")

    async def record_unless_stuck(conn, delivery_id, **kwargs):
        if kwargs.get("status_code") == 500:
            raise RuntimeError("recording is broken")
        await real_record(conn, delivery_id, **kwargs)

    monkeypatch.setattr(db, "record_attempt", record_unless_stuck)
    monkeypatch.setattr(db, "record_unrecordable", broken)
    await add_task(engine, "t-stuck")
    await add_delivery(engine, "t-stuck", stuck.url())
    dispatchers(DispatcherConfig(allowlist=LOOPBACK, poll_interval_s=0.05))
    await wait_until(lambda: stuck.requests, timeout_s=5)
    await asyncio.sleep(0.5)  # held >= 1 s; a hot loop (0.05 s polls) retries ~10 times
    assert len(stuck.requests) == 1  # not claimed again at once

    await add_task(engine, "t-normal")
    await add_delivery(engine, "t-normal", normal.url())
    await wait_until(lambda: normal.requests, timeout_s=5)


async def test_loopback_refusal_names_the_allowlist_and_warns_once_per_host(
    engine, receivers, dispatchers, caplog
) -> None:
    receiver = await receivers(lambda _r: Reply())
    urls = [receiver.url("/a"), receiver.url("/b"), f"http://localhost:{receiver.port}/c"]
    for n, url in enumerate(urls):
        await add_task(engine, f"t-{n}")
        await add_delivery(engine, f"t-{n}", url)
    caplog.set_level(logging.WARNING, logger="app.callbacks.dispatcher")
    dispatchers(DispatcherConfig(allowlist=Allowlist(), poll_interval_s=0.05))

    async def finished() -> bool:
        return all(r["status"] == "failed" for r in await delivery_rows(engine))

    await wait_until(finished, timeout_s=10)
    assert receiver.connections == 0
    for row in await delivery_rows(engine):
        assert "is loopback" in row["last_error"], row["last_error"]
        assert "MJRELAY_CALLBACK_ALLOWLIST" in row["last_error"]
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "are refused" in r.getMessage()
    ]
    assert len(warnings) == 2, warnings
    assert sum("to 127.0.0.1 " in w for w in warnings) == 1
    assert sum("to localhost " in w for w in warnings) == 1
    assert all("MJRELAY_CALLBACK_ALLOWLIST" in w for w in warnings)


@pytest.mark.parametrize("poison", ["9" * 400, "²", "-1", "Fri, 31 Dec 99999 23:59:59 GMT"])
async def test_any_retry_after_is_recorded(engine, receivers, dispatchers, poison) -> None:
    receiver = await receivers(lambda _r: Reply(429, b"slow down", {"retry-after": poison}))
    await add_task(engine, "t-ra")
    await add_delivery(engine, "t-ra", receiver.url())
    dispatchers(DispatcherConfig(allowlist=LOOPBACK, poll_interval_s=0.05))

    async def recorded() -> bool:
        return (await delivery_rows(engine))[0]["attempts"] == 1

    await wait_until(recorded, timeout_s=5)
    [row] = await delivery_rows(engine)
    assert row["status"] == "pending" and row["last_status_code"] == 429
