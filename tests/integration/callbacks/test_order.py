from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from tests.integration.callbacks.helpers import (
    LOOPBACK,
    Received,
    Reply,
    add_delivery,
    add_task,
    delivery_rows,
    wait_until,
)

TASKS = 40
PER_TASK = 5


async def test_per_task_order_holds_under_failures_and_two_dispatchers(
    engine, receivers, dispatchers
) -> None:
    rng = random.Random(11)
    seen: dict[str, list[tuple[int, int]]] = defaultdict(list)  # task -> (seq, status)
    in_flight: dict[str, int] = defaultdict(int)
    overlaps = 0

    async def handler(request: Received) -> Reply:
        nonlocal overlaps
        task = request.headers["x-mjrelay-task-id"]
        in_flight[task] += 1
        overlaps += in_flight[task] > 1
        await asyncio.sleep(rng.uniform(0, 0.01))
        status = 500 if rng.random() < 0.3 else 200
        seen[task].append((int(request.headers["x-mjrelay-sequence"]), status))
        in_flight[task] -= 1
        return Reply(status=status)

    receiver = await receivers(handler)
    for t in range(TASKS):
        await add_task(engine, f"t-{t}")
    # Interleaved inserts: every task's deliveries are due at once, mixed with other tasks'.
    for seq in range(1, PER_TASK + 1):
        for t in range(TASKS):
            await add_delivery(engine, f"t-{t}", receiver.url(), seq=seq)

    config = DispatcherConfig(
        allowlist=LOOPBACK,
        schedule=RetrySchedule((0.02,) * 12),
        poll_interval_s=0.05,
        concurrency=8,
    )
    dispatchers(config)
    dispatchers(config)  # a second dispatcher competing for the same rows
    await wait_until(lambda: _all_finished(engine), timeout_s=40)

    rows = await delivery_rows(engine)
    assert all(r["status"] == "delivered" for r in rows)
    assert overlaps == 0  # never two callbacks of one task at the same time
    assert any(status == 500 for calls in seen.values() for _s, status in calls)
    for task, calls in seen.items():
        sequence = [seq for seq, _status in calls]
        assert sequence == sorted(sequence), (task, calls)  # only ever increasing (or a retry)
        acked = [seq for seq, status in calls if status == 200]
        assert acked == list(range(1, PER_TASK + 1)), (task, calls)


async def _all_finished(engine) -> bool:
    return not await delivery_rows(engine, "status = 'pending'")


async def test_a_task_stuck_in_retries_holds_back_only_itself(
    engine, receivers, dispatchers
) -> None:
    """300 callbacks queue behind one task's failing first delivery (more than the claim's
    candidate window); other tasks' callbacks still go out at once."""
    from db.delivery_claims import CANDIDATES

    receiver = await receivers(
        lambda r: Reply(status=500 if r.headers["x-mjrelay-task-id"] == "stuck" else 200)
    )
    await add_task(engine, "stuck")
    await add_delivery(engine, "stuck", receiver.url())
    config = DispatcherConfig(
        allowlist=LOOPBACK,
        schedule=RetrySchedule((3600.0,)),
        poll_interval_s=0.05,
    )
    dispatchers(config)
    await wait_until(lambda: len(receiver.requests) == 1)
    queued = CANDIDATES + 44
    for _ in range(queued):
        await add_delivery(engine, "stuck", receiver.url())
    await add_task(engine, "fine")
    await add_delivery(engine, "fine", receiver.url())
    await wait_until(lambda: _delivered(engine, "fine"), timeout_s=5)

    stuck = await delivery_rows(engine, "task_id = 'stuck'")
    head, rest = stuck[0], stuck[1:]
    assert len(rest) == queued
    assert [r.headers["x-mjrelay-task-id"] for r in receiver.requests] == ["stuck", "fine"]
    assert head["status"] == "pending" and head["attempts"] == 1
    assert all(r["status"] == "pending" and r["attempts"] == 0 for r in rest)


async def _delivered(engine, task_id: str) -> bool:
    rows = await delivery_rows(engine, "task_id = :t", t=task_id)
    return bool(rows) and all(r["status"] == "delivered" for r in rows)
