"""One LISTEN connection per process: PostgreSQL notifications fanned out to subscribers.

The worker's wake-ups (`mjrelay_tasks`), the callback dispatcher (`mjrelay_deliveries`) and the
dashboard's event stream (`mjrelay_task_events`) all subscribe here. While anything subscribes,
one raw asyncpg connection per event loop and database LISTENs on every channel in `CHANNELS`
and hands each notification's payload to the subscribers of its channel; after the last
subscriber leaves it is closed. So `mjrelay up` holds one LISTEN connection, not three.

    subscription = listen_hub(database_url).subscribe(channel, on_notify, on_listening)
    await subscription.ready()      # LISTEN is up, or the first attempt failed (at most 5 s)
    ...
    subscription.close()

`on_listening(resumed)` is called each time the subscription starts hearing its channel: at once
when the connection is already up, else when it comes up; `resumed` is True after a lost
connection, when notifications sent meanwhile were missed (the worker and the dispatcher poll as
well; the dashboard tells its clients to resync). A lost or refused connection is retried with
backoff (0.5 s doubling to 30 s, reset once connected); no exception ends the hub, and no
subscriber's exception reaches another subscriber. The connection names itself
`application_name = mjrelay-listen` in `pg_stat_activity`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db.deliveries import CHANNEL as DELIVERIES_CHANNEL
from db.objects import ARCHIVE_CHANNEL
from db.tasks import TASK_EVENTS_CHANNEL, TASKS_CHANNEL
from db.urls import asyncpg_dsn

log = logging.getLogger(__name__)

CHANNELS = (TASKS_CHANNEL, DELIVERIES_CHANNEL, TASK_EVENTS_CHANNEL, ARCHIVE_CHANNEL)
APPLICATION_NAME = "mjrelay-listen"
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 30.0
CONNECT_TIMEOUT_S = 10.0
READY_WAIT_S = 5.0
CLOSED_CHECK_S = 5.0

NotifyHandler = Callable[[str], None]  # the notification's payload
ListeningHandler = Callable[[bool], None]  # resumed: notifications may have been missed


@dataclass(eq=False)
class _Run:
    """One life of the connection, from the first subscriber to the last."""

    attempted: asyncio.Event = field(default_factory=asyncio.Event)  # first connect tried
    listening: bool = False
    task: asyncio.Task[None] | None = None


@dataclass(eq=False)
class Subscription:
    """One subscriber's interest in one channel, until `close()`."""

    hub: ListenHub
    channel: str
    on_notify: NotifyHandler
    on_listening: ListeningHandler | None = None
    live: bool = False  # hearing the channel on the current connection
    heard_before: bool = False  # was live on an earlier connection (so a gap means resumed)

    async def ready(self) -> None:
        """Return once LISTEN is up (a change committed after this is heard) or the first
        connection attempt failed; at most `READY_WAIT_S`."""
        await self.hub._ready()

    def close(self) -> None:
        self.hub._unsubscribe(self)


class ListenHub:
    """The process's LISTEN connection to one database and its subscribers."""

    def __init__(
        self,
        dsn: str,
        channels: tuple[str, ...] = CHANNELS,
        connect: Callable[..., Awaitable[asyncpg.Connection]] = asyncpg.connect,
    ) -> None:
        self._dsn = dsn
        self._channels = channels
        self._connect = connect
        self._subscriptions: set[Subscription] = set()
        self._run: _Run | None = None

    def subscribe(
        self,
        channel: str,
        on_notify: NotifyHandler,
        on_listening: ListeningHandler | None = None,
    ) -> Subscription:
        if channel not in self._channels:
            raise ValueError(f"no LISTEN on {channel!r}; add it to db.listen.CHANNELS")
        subscription = Subscription(self, channel, on_notify, on_listening)
        self._subscriptions.add(subscription)
        if self._run is None:
            run = _Run()
            run.task = asyncio.create_task(self._keep_listening(run), name="mjrelay-listen")
            self._run = run
        elif self._run.listening:
            self._went_live(subscription)
        return subscription

    @contextlib.asynccontextmanager
    async def subscribed(
        self,
        channel: str,
        on_notify: NotifyHandler,
        on_listening: ListeningHandler | None = None,
    ) -> AsyncIterator[Subscription]:
        subscription = self.subscribe(channel, on_notify, on_listening)
        try:
            await subscription.ready()
            yield subscription
        finally:
            subscription.close()

    async def _ready(self) -> None:
        if self._run is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._run.attempted.wait(), READY_WAIT_S)

    def _unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        if not self._subscriptions and self._run is not None:
            assert self._run.task is not None
            # Not awaited: this may run while a client's request is being cancelled.
            self._run.task.cancel()
            self._run = None

    # ----------------------------------------------------------------------------- the loop

    async def _keep_listening(self, run: _Run) -> None:
        delay = RECONNECT_MIN_S
        while True:
            try:
                await self._listen_until_lost(run)
                delay = RECONNECT_MIN_S
                log.warning("LISTEN connection lost; reconnecting in %.1f s", delay)
            except Exception as exc:  # whatever it is, retry later: never spin, never end
                log.warning(
                    "LISTEN connection failed (%s: %s); retrying in %.1f s",
                    type(exc).__name__,
                    exc,
                    delay,
                )
            finally:
                run.attempted.set()  # do not hold subscribers up while the database is away
            await asyncio.sleep(delay)
            delay = min(RECONNECT_MAX_S, delay * 2)

    async def _listen_until_lost(self, run: _Run) -> None:
        lost = asyncio.Event()
        connection = await self._connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=CONNECT_TIMEOUT_S,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            connection.add_termination_listener(lambda _connection: lost.set())

            def fan_out(_connection: Any, _pid: int, channel: str, payload: str) -> None:
                if run is self._run:  # not a closing connection of an earlier run
                    self._fan_out(channel, payload)

            for channel in self._channels:
                await connection.add_listener(channel, fan_out)
            run.listening = True
            run.attempted.set()
            for subscription in list(self._subscriptions):
                self._went_live(subscription)
            while not lost.is_set() and not connection.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), CLOSED_CHECK_S)
        finally:
            run.listening = False
            if run is self._run:
                for subscription in self._subscriptions:
                    subscription.live = False
            with contextlib.suppress(Exception):
                await asyncio.shield(connection.close(timeout=2))

    def _fan_out(self, channel: str, payload: str) -> None:
        for subscription in list(self._subscriptions):
            if subscription.channel == channel:
                _call(subscription.on_notify, payload)

    @staticmethod
    def _went_live(subscription: Subscription) -> None:
        if subscription.live:
            return
        resumed = subscription.heard_before
        subscription.live = subscription.heard_before = True
        if subscription.on_listening is not None:
            _call(subscription.on_listening, resumed)


def _call(handler: Callable[[Any], None], argument: Any) -> None:
    try:
        handler(argument)
    except Exception:  # one subscriber's bug must not reach the others or the connection
        log.exception("a LISTEN subscriber failed")


_HUBS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, ListenHub]] = (
    weakref.WeakKeyDictionary()
)


def listen_hub(database_url: str) -> ListenHub:
    """The hub of this process (its running event loop) for `database_url`."""
    hubs = _HUBS.setdefault(asyncio.get_running_loop(), {})
    dsn = asyncpg_dsn(database_url)
    hub = hubs.get(dsn)
    if hub is None:
        hub = hubs[dsn] = ListenHub(dsn)
    return hub
