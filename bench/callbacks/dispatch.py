"""`python -m bench.callbacks.dispatch [--poll-only]`: mjrelay's dispatcher as its own process.

The same as `mjrelay callbacks` (`run_dispatcher` with the settings from the environment),
except that `--poll-only` starts it without its LISTEN connection: it then wakes only on its poll
interval (the product default, `DispatcherConfig.poll_interval_s`) and when an attempt finishes —
what a dispatcher does while its LISTEN connection is down.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from app.callbacks.dispatcher import Dispatcher
from app.config import load_settings
from db import delivery_claims as db
from db.urls import asyncpg_dsn


async def main(poll_only: bool) -> None:
    settings = load_settings()
    assert settings.database_url
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    config = settings.callback_config()
    pool = config.concurrency + 1
    engine = db.make_dispatcher_engine(
        settings.database_url, pool_size=pool, hold_timeout_s=config.hold_timeout_s
    )
    listen = None if poll_only else asyncpg_dsn(settings.database_url)
    try:
        await Dispatcher(engine, config, listen_dsn=listen).run(stop)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--poll-only", action="store_true")
    asyncio.run(main(parser.parse_args().poll_only))
