"""The baseline: a bare outbox dispatcher, asyncpg LISTEN → httpx POST, nothing else.

`python -m bench.callbacks.bare DSN [--poll-only]`. It claims up to `BATCH` rows of
`bare_outbox` with `DELETE … FOR UPDATE SKIP LOCKED … RETURNING`, POSTs each row's payload to its
URL (at most `CONCURRENCY` at a time, keep-alive, no signing, no SSRF guard, no retry, no
attempt log), and sleeps until NOTIFY `bare_outbox` or the poll interval. This is the floor a
LISTEN/NOTIFY outbox can reach on this machine: the PostgreSQL round trips and one HTTP request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import asyncpg
import httpx

BATCH = 16
CONCURRENCY = 16
POLL_INTERVAL_S = 1.0  # the same as mjrelay's dispatcher default
CHANNEL = "bare_outbox"

SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url text NOT NULL,
    task_id text NOT NULL,
    seq integer NOT NULL,
    payload bytea NOT NULL
)
"""
CLAIM = """
DELETE FROM bare_outbox WHERE id IN (
    SELECT id FROM bare_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
) RETURNING url, task_id, seq, payload
"""


async def run(dsn: str, poll_only: bool, stop: asyncio.Event) -> None:
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    if not poll_only:
        await listener.add_listener(CHANNEL, lambda *_: wake.set())
    claimer = await asyncpg.connect(dsn)
    slots = asyncio.Semaphore(CONCURRENCY)
    inflight: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def post(row: asyncpg.Record) -> None:
            try:
                headers = {
                    "x-mjrelay-task-id": row["task_id"],
                    "x-mjrelay-sequence": str(row["seq"]),
                }
                await client.post(row["url"], content=row["payload"], headers=headers)
            finally:
                slots.release()
                wake.set()

        while not stop.is_set():
            wake.clear()
            rows = await claimer.fetch(CLAIM, BATCH)
            for row in rows:
                await slots.acquire()
                task = asyncio.create_task(post(row))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
            if not rows:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), POLL_INTERVAL_S)
        await asyncio.gather(*inflight, return_exceptions=True)
    await claimer.close()
    await listener.close()


async def main(dsn: str, poll_only: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    stopping = asyncio.create_task(stop.wait())
    running = asyncio.create_task(run(dsn, poll_only, stop))
    await asyncio.wait({stopping, running}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    await running


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("--poll-only", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.dsn, args.poll_only))
