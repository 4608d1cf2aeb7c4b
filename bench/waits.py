"""What the server's backends were doing during a run, sampled from pg_stat_activity.

Every 50 ms the sampler reads the state and wait event of each client backend connected to the
database under test. The shares say whether backends run, wait for a lock, wait to flush WAL at
commit, or sit idle in a transaction waiting for the client's next statement.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg

from db.urls import asyncpg_dsn

INTERVAL_S = 0.05

_QUERY = """
SELECT state, wait_event_type, wait_event FROM pg_stat_activity
WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()
"""


def label(state: str | None, kind: str | None, event: str | None) -> str:
    if state == "idle in transaction":
        return "idle in transaction (waiting for the client)"
    if state == "idle":
        return "idle (between transactions)"
    if kind is None:
        return "running (on CPU or runnable)"
    if event in ("WALWrite", "WalSync", "WalWrite"):
        return "flushing WAL at commit"
    if kind == "Client":
        return "reading the client's statement"
    return f"waiting: {kind}/{event}"


@contextlib.asynccontextmanager
async def sampling(url: str) -> AsyncIterator[Counter[str]]:
    """Sample while the block runs; the counter fills in as it goes."""
    counts: Counter[str] = Counter()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            for row in await connection.fetch(_QUERY):
                counts[label(row["state"], row["wait_event_type"], row["wait_event"])] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), INTERVAL_S)

    task = asyncio.create_task(loop())
    try:
        yield counts
    finally:
        stop.set()
        await task
        await connection.close()


def shares(counts: Counter[str], top: int = 4) -> list[tuple[str, float]]:
    total = sum(counts.values()) or 1
    return [(name, n / total) for name, n in counts.most_common(top)]
