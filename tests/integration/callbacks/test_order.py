from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from app.callbacks.dispatcher import DispatcherConfig
from app.callbacks.policy import RetrySchedule
from app.callbacks.ssrf import Allowlist
from tests.integration.callbacks.helpers import (
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
        allowlist=Allowlist.parse(["127.0.0.0/8"]),
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
