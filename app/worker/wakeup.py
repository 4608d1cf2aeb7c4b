"""Wake-ups from Postgres `NOTIFY`, with polling as the fallback when the listener is down.

One raw asyncpg connection LISTENs on the given channels and sets an `asyncio.Event` for each
notification. Consumers wait on `wait(timeout)`: a notification wakes them at once; the timeout
is the poll interval, so a lost notification (or a dead listener) only delays work, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from db.urls import asyncpg_dsn

log = logging.getLogger(__name__)

RECONNECT_DELAY_S = 2.0


class Wakeup:
    """A broadcast event: every waiter wakes on each notification."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()

    async def wait(self, poll_s: float) -> bool:
        """True when woken by a notification, False after `poll_s` (time to poll anyway)."""
        try:
            await asyncio.wait_for(self._event.wait(), poll_s)
        except TimeoutError:
            return False
        finally:
            self._event = asyncio.Event() if self._event.is_set() else self._event
        return True


class Listener:
    """LISTEN on `channels`; each notification (and each reconnect) calls `on_notify(channel)`."""

    def __init__(
        self, database_url: str, channels: Sequence[str], on_notify: Callable[[str], None]
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._channels = list(channels)
        self._notify = on_notify

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._notify(channel)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn)
                for channel in self._channels:
                    await connection.add_listener(channel, self._on_notify)
                # Anything committed while we were not listening is picked up by this wake-up.
                for channel in self._channels:
                    self._notify(channel)
                while not stop.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 5.0)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("notification listener lost; polling until it is back: %s", exc)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RECONNECT_DELAY_S)
