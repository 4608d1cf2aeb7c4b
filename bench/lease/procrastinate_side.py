"""procrastinate's side, ungated: `JobManager.fetch_job` up to cap times, then `finish_job` each.

procrastinate claims one job per statement (`procrastinate_fetch_job_v2`, `FOR UPDATE SKIP
LOCKED`) and finishes one per statement, as its worker does; every claimer is a registered
procrastinate worker. The connector is procrastinate's psycopg pool.
"""

from __future__ import annotations

from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Job, Status

from bench.lease.workload import LeaseParams
from db.urls import asyncpg_dsn

TASK_NAME = "bench"
_SEED_CHUNK = 5_000


def _app(url: str, size: int = 1) -> App:
    return App(connector=PsycopgConnector(conninfo=asyncpg_dsn(url), min_size=size, max_size=size))


class ProcrastinateLease:
    name = "procrastinate"
    description = "JobManager.fetch_job ×cap + finish_job each, ungated, psycopg pool"

    def __init__(self) -> None:
        self.app: App | None = None
        self.workers: list[int] = []
        self.cap = 1

    async def install(self, url: str) -> None:
        async with _app(url).open_async() as app:
            await app.schema_manager.apply_schema_async()

    async def seed(self, url: str, params: LeaseParams) -> None:
        async with _app(url).open_async() as app:
            for start in range(0, params.tasks, _SEED_CHUNK):
                n = min(_SEED_CHUNK, params.tasks - start)
                jobs = [
                    Job(queue="default", lock=None, queueing_lock=None, task_name=TASK_NAME)
                    for _ in range(n)
                ]
                await app.job_manager.batch_defer_jobs_async(jobs)

    async def open(self, url: str, params: LeaseParams) -> None:
        self.app = _app(url, params.connections)
        await self.app.open_async()
        self.workers = [
            await self.app.job_manager.register_worker() for _ in range(params.accounts)
        ]
        self.cap = params.cap

    async def cycle(self, claimer: int) -> int:
        assert self.app is not None
        manager = self.app.job_manager
        jobs: list[Job] = []
        for _ in range(self.cap):
            job = await manager.fetch_job(queues=None, worker_id=self.workers[claimer])
            if job is None:
                break
            jobs.append(job)
        for job in jobs:
            await manager.finish_job(job, status=Status.SUCCEEDED, delete_job=False)
        return len(jobs)

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close_async()
            self.app = None

    async def completed(self, url: str) -> int:
        async with _app(url).open_async() as app:
            row = await app.connector.execute_query_one_async(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE status = 'succeeded'"
            )
            return int(row["n"])
