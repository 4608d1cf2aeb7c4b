"""Entry point of the worker process: the services it runs until asked to stop."""

from __future__ import annotations

import asyncio
import logging

from app.callbacks.dispatcher import run_dispatcher
from app.config import Settings
from app.worker.supervisor import Supervisor
from db import migrations
from db.connection_budget import check_connection_budget, worker_connections
from db.database import connected_engine

log = logging.getLogger(__name__)

SCHEMA_WAIT_S = 2.0


async def run_worker(settings: Settings, database_url: str, stop: asyncio.Event) -> None:
    """Run the worker's services on `database_url` until `stop` is set."""
    async with connected_engine(database_url, pool_size=settings.db_pool_size) as engine:
        # A worker may start before `mjrelay migrate` (release phase) finished; wait, don't race.
        while not await migrations.is_at_head(engine):
            log.warning("database schema is not at head yet; waiting for `mjrelay migrate`")
            try:
                await asyncio.wait_for(stop.wait(), SCHEMA_WAIT_S)
                return
            except TimeoutError:
                continue
        log.info("worker started")
        most = worker_connections(settings.db_pool_size, settings.callback_concurrency)
        await check_connection_budget(engine, "worker", most)
        async with asyncio.TaskGroup() as services:
            services.create_task(run_dispatcher(settings.callback_config(), database_url, stop))
            services.create_task(Supervisor(settings, database_url, engine).run(stop))
            await stop.wait()
        log.info("worker stopped")
