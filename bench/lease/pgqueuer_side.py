"""pgqueuer's side, ungated: `Queries.dequeue` a batch, then `Queries.log_jobs` it as successful.

These are the two statements pgqueuer's own QueueManager runs per batch (claim with
`FOR UPDATE SKIP LOCKED`, then move the jobs from the queue to the log), over pgqueuer's asyncpg
pool driver, without an entrypoint concurrency limit: the ungated baseline.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.ports.repository import EntrypointExecutionParameter

from bench.lease.workload import LeaseParams
from db.urls import asyncpg_dsn

ENTRYPOINT = "bench"
_UNLIMITED = {ENTRYPOINT: EntrypointExecutionParameter(concurrency_limit=0)}
_HEARTBEAT_TIMEOUT = timedelta(seconds=60)
_SEED_CHUNK = 10_000


class PgqueuerLease:
    name = "pgqueuer"
    description = "Queries.dequeue(batch=cap) + Queries.log_jobs, ungated, asyncpg pool"

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.queries: Queries | None = None
        self.managers: list[uuid.UUID] = []
        self.cap = 1

    async def install(self, url: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await Queries.from_asyncpg_connection(connection).install()
        finally:
            await connection.close()

    async def seed(self, url: str, params: LeaseParams) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            queries = Queries.from_asyncpg_connection(connection)
            for start in range(0, params.tasks, _SEED_CHUNK):
                n = min(_SEED_CHUNK, params.tasks - start)
                await queries.enqueue([ENTRYPOINT] * n, [None] * n, [0] * n)
        finally:
            await connection.close()

    async def open(self, url: str, params: LeaseParams) -> None:
        size = params.connections
        self.pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=size, max_size=size)
        self.queries = Queries.from_asyncpg_pool(self.pool)
        self.managers = [uuid.uuid4() for _ in range(params.accounts)]
        self.cap = params.cap

    async def cycle(self, claimer: int) -> int:
        assert self.queries is not None
        jobs = await self.queries.dequeue(
            batch_size=self.cap,
            entrypoints=_UNLIMITED,
            queue_manager_id=self.managers[claimer],
            global_concurrency_limit=None,
            heartbeat_timeout=_HEARTBEAT_TIMEOUT,
        )
        if jobs:
            await self.queries.log_jobs([(job, "successful", None) for job in jobs])
        return len(jobs)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def completed(self, url: str) -> int:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            table = Queries.from_asyncpg_connection(connection).qbq.qualified.queue_table_log
            query = f"SELECT count(DISTINCT job_id) FROM {table} WHERE status = 'successful'"
            return int(await connection.fetchval(query))
        finally:
            await connection.close()
