"""Wake-ups from Postgres `NOTIFY`, with polling as the fallback when the listener is down.

`Listener` subscribes to the process's LISTEN hub (`db.listen`) and calls back for each
notification; `Wakeup` is the event consumers wait on with `wait(timeout)`: a notification wakes
them at once; the timeout is the poll interval, so a lost notification (or a lost LISTEN
connection) only delays work, never loses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from db.listen import listen_hub


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
    """Until stopped, each notification on `channels` calls `on_notify(channel)`, and so does
    each time LISTEN starts (anything committed while it was not listening is picked up then)."""

    def __init__(
        self, database_url: str, channels: Sequence[str], on_notify: Callable[[str], None]
    ) -> None:
        self._database_url = database_url
        self._channels = list(channels)
        self._notify = on_notify

    async def run(self, stop: asyncio.Event) -> None:
        hub = listen_hub(self._database_url)
        subscriptions = []
        for channel in self._channels:
            wake = self._waker(channel)
            subscriptions.append(hub.subscribe(channel, wake, wake))
        try:
            await stop.wait()
        finally:
            for subscription in subscriptions:
                subscription.close()

    def _waker(self, channel: str) -> Callable[[object], None]:
        return lambda _payload_or_resumed: self._notify(channel)
