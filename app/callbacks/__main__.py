"""`python -m app.callbacks`: the callback dispatcher as a process of its own.

`mjrelay worker` runs the same dispatcher inside the worker; this entry point runs only the
dispatcher, for deployments that want to scale it separately (and for the crash tests, which
kill -9 it). Reads the same settings (DATABASE_URL is required) and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from app.callbacks.dispatcher import run_dispatcher
from app.config import load_settings
from app.errors import MjRelayError
from app.logs import configure_logging


async def _main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format, settings.secrets())
    if not settings.database_url:
        raise MjRelayError("DATABASE_URL is not set")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_dispatcher(settings.callback_config(), settings.database_url, stop)


def main() -> int:
    try:
        asyncio.run(_main())
    except MjRelayError as exc:
        print(f"mjrelay callbacks: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
