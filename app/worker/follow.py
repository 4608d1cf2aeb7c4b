"""Following the account's gateway: every event to the account's health or to its task.

Connection events go to `AccountHealth` (a fatal close ends the follow). A bot event is tied to
its task by the correlator and `translate` says what changed; the change is recorded under the
task's lock. A modal the bot opened is answered in the background; an account-level error
(ban, captcha…) takes the account out of service, whichever task it names.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from app.discord.correlation import Correlator
from app.discord.events import (
    AccountError,
    BotEvent,
    GatewayFatal,
    IframeModalOpened,
    ModalOpened,
    Ready,
    Resumed,
)
from app.worker.health import AccountHealth
from app.worker.inflight import InFlightTasks
from app.worker.link import DiscordLink
from app.worker.modals import ModalAnswers
from app.worker.translate import change_for_event
from app.worker.wakeup import Wakeup

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class Follower:
    def __init__(
        self,
        link: DiscordLink,
        tasks: InFlightTasks,
        correlator: Correlator,
        health: AccountHealth,
        modals: ModalAnswers,
        wakeup: Wakeup,
        spawn: Spawn,
        clock: Callable[[], float],
    ) -> None:
        self._link = link
        self._tasks = tasks
        self._correlator = correlator
        self._health = health
        self._modals = modals
        self._wakeup = wakeup
        self._spawn = spawn
        self._clock = clock

    async def run(self) -> None:
        async for event in self._link.events():
            if isinstance(event, BotEvent):
                await self.on_bot_event(event)
                continue
            await self._health.on_connection(event)
            if isinstance(event, GatewayFatal):
                return
            if isinstance(event, Ready | Resumed):
                self._wakeup.fire()  # connected: time to lease

    async def on_bot_event(self, event: BotEvent) -> None:
        task_id = self._correlator.observe(event)
        if isinstance(event, AccountError):
            # The account-failure policy decides for all the account's tasks at once.
            await self._health.disable(event.reason)
            return
        record = self._tasks.get(task_id) if task_id is not None else None
        if task_id is None or record is None:
            return
        if isinstance(event, ModalOpened | IframeModalOpened):
            self._spawn(self._modals.answer(task_id, event))
            return
        async with record.lock:
            if self._tasks.get(task_id) is not record:
                return  # forgotten while we waited
            change = change_for_event(record.task, event, int(self._clock() * 1000))
            if change is not None:
                await self._tasks.apply(task_id, change)
