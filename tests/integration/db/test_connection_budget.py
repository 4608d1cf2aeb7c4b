"""A process checks its connections against the real server's room at start."""

from __future__ import annotations

import logging

from db.connection_budget import check_connection_budget


async def test_a_process_that_may_not_fit_is_warned_one_that_fits_is_told(engine, caplog) -> None:
    caplog.set_level(logging.INFO, logger="db.connection_budget")
    await check_connection_budget(engine, "worker", 100_000)
    await check_connection_budget(engine, "web", 2)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    told = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warned) == 1 and "may open up to 100000" in warned[0].getMessage()
    assert len(told) == 1 and "web process: up to 2 PostgreSQL connections" in told[0].getMessage()
