from __future__ import annotations

import time

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RESPONSE_BODY_LIMIT, RetrySchedule
from app.callbacks.transport import READ_CHUNK
from tests.integration.callbacks.helpers import (
    LOOPBACK,
    RecordingBackend,
    Reply,
    add_delivery,
    add_task,
    attempts_of,
    delivery_rows,
    wait_until,
)

TEN_MB = 10 * 1024 * 1024


async def attempted(engine) -> bool:
    return all(r["attempts"] >= 1 for r in await delivery_rows(engine))


async def test_receiver_sleeping_60s_costs_at_most_10_5s(engine, receivers, dispatchers) -> None:
    receiver = await receivers(lambda _r: Reply(delay_s=60))
    await add_task(engine, "t-slow")
    await add_delivery(engine, "t-slow", receiver.url())
    config = DispatcherConfig(allowlist=LOOPBACK, poll_interval_s=0.05)  # default 10 s timeout
    assert config.timeout_s == 10.0
    dispatchers(config)
    await wait_until(lambda: receiver.requests, timeout_s=5)
    sent = time.monotonic()
    await wait_until(lambda: attempted(engine), timeout_s=20)
    cost = time.monotonic() - sent

    [row] = await delivery_rows(engine)
    [entry] = attempts_of(row)
    assert entry["outcome"] == "timeout"
    assert entry["latency_ms"] <= 10_500
    assert cost <= 10.5
    assert row["status"] == "pending" and "within 10 s" in row["last_error"]


async def test_receiver_streaming_10mb_costs_at_most_16kb(engine, receivers, dispatchers) -> None:
    receiver = await receivers(lambda _r: Reply(stream_bytes=TEN_MB))
    backend = RecordingBackend()
    await add_task(engine, "t-big")
    await add_delivery(engine, "t-big", receiver.url())
    config = DispatcherConfig(
        allowlist=LOOPBACK, poll_interval_s=0.05, schedule=RetrySchedule((60.0,))
    )
    started = time.monotonic()
    dispatchers(config, backend=backend)
    await wait_until(lambda: attempted(engine), timeout_s=10)
    elapsed = time.monotonic() - started

    [row] = await delivery_rows(engine)
    [entry] = attempts_of(row)
    assert row["status"] == "delivered"  # a 2xx status line is the verdict; the body is not
    assert entry["response_bytes"] == RESPONSE_BODY_LIMIT  # the body bytes we consumed
    # At the socket: headers, the 16 KB, and at most one more small read.
    assert backend.bytes_read <= RESPONSE_BODY_LIMIT + READ_CHUNK + 1024
    assert elapsed < 5  # we hung up; trickling 10 MB would take the receiver far longer
    await wait_until(lambda: not receiver._tasks, timeout_s=5)
    assert receiver.bytes_written < TEN_MB
