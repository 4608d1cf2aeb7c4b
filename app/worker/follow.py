"""Following the account's gateway: every event to the account's health or to its task.

Connection events go to `AccountHealth` (a fatal close ends the follow). A bot event is tied to
its task by the correlator and `translate` says what changed; the change is recorded under the
task's lock. A modal the bot opened is answered in the background; an account-level error
(ban, captcha…) takes the account out of service, whichever task it names. A READY after the
first is a new session (the old one could not resume): the events of the gap are gone, and
`on_new_session` (the runner wires recovery's `resync`) asks the channel what happened, before
any later event is followed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.discord.events import (
    AccountError,
    BotEvent,
    GatewayFatal,
    IframeModalOpened,
    ModalOpened,
    Ready,
    Resumed,
)
from app.worker.context import RunnerContext
from app.worker.health import AccountHealth
from app.worker.modals import ModalAnswers
from app.worker.translate import change_for_event
from app.worker.wakeup import Wakeup


class Follower:
    def __init__(
        self, ctx: RunnerContext, health: AccountHealth, modals: ModalAnswers, wakeup: Wakeup
    ) -> None:
        self._ctx = ctx
        self._health = health
        self._modals = modals
        self._wakeup = wakeup
        self._sessions = 0
        self.on_new_session: Callable[[], Awaitable[None]] | None = None

    async def run(self) -> None:
        async for event in self._ctx.link.events():
            if isinstance(event, BotEvent):
                await self.on_bot_event(event)
                continue
            await self._health.on_connection(event)
            if isinstance(event, GatewayFatal):
                return
            if isinstance(event, Ready):
                self._sessions += 1
                if self._sessions > 1 and self.on_new_session is not None:
                    await self.on_new_session()
            if isinstance(event, Ready | Resumed):
                self._wakeup.fire()  # connected: time to lease

    async def on_bot_event(self, event: BotEvent) -> None:
        task_id = self._ctx.correlator.observe(event)
        if isinstance(event, AccountError):
            # The account-failure policy decides for all the account's tasks at once.
            await self._health.disable(event.reason)
            return
        record = self._ctx.tasks.get(task_id) if task_id is not None else None
        if task_id is None or record is None:
            return
        if isinstance(event, ModalOpened | IframeModalOpened):
            self._ctx.spawn(self._modals.answer(task_id, event))
            return
        async with record.lock:
            if self._ctx.tasks.get(task_id) is not record:
                return  # forgotten while we waited
            change = change_for_event(record.task, event, self._ctx.now_ms())
            if change is not None:
                await self._ctx.tasks.apply(task_id, change)
