"""Following the account's gateway: every event to the account's health or to its task.

Connection events go to `AccountHealth` (a fatal close ends the follow). A bot event is tied to
its task by the correlator and `translate` says what changed; the change is recorded under the
task's lock. A modal the bot opened is answered in the background; an account-level error
(ban, captcha…) takes the account out of service, whichever task it names, except "Credits
exhausted": the account keeps serving relax and the task goes back to the queue. Replies about
the account itself (/info, /settings, /fast …) go to its `AccountControls`. A READY after the
first is a new session (the old one could not resume): the events of the gap are gone, and
`on_new_session` (the runner wires recovery's `resync`) asks the channel what happened, before
any later event is followed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.discord.events import (
    AccountError,
    AccountErrorKind,
    BotEvent,
    IframeModalOpened,
    ModalOpened,
)
from app.discord.gateway_events import GatewayFatal, Ready, Resumed
from app.domain.speed import FAST, TURBO
from app.domain.status import TaskStatus
from app.worker.context import RunnerContext
from app.worker.controls import AccountControls
from app.worker.health import AccountHealth, requeue_values
from app.worker.modals import ModalAnswers
from app.worker.translate import change_for_event
from app.worker.video_clips import fetch_clips
from app.worker.video_facts import finish_video, finishes_video
from app.worker.wakeup import Wakeup

PAID = (FAST, TURBO)  # the modes that spend fast time


class Follower:
    def __init__(
        self,
        ctx: RunnerContext,
        health: AccountHealth,
        modals: ModalAnswers,
        wakeup: Wakeup,
        controls: AccountControls,
    ) -> None:
        self._ctx = ctx
        self._health = health
        self._modals = modals
        self._controls = controls
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
        if self._controls.observe(event):
            return  # a reply about the account itself (/info, /settings, /fast …)
        task_id = self._ctx.correlator.observe(event)
        if isinstance(event, AccountError) and event.kind == AccountErrorKind.OUT_OF_CREDITS:
            # Out of fast time is not out of service: relax still runs, the task goes back.
            await self._controls.out_of_fast_time()
            if task_id is not None:
                await self._requeue_after_credits(task_id, event.reason)
            return
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
            if self._ctx.tasks.get(task_id) is not record or record.finishing:
                return  # forgotten while we waited, or its result is being recorded
            change = change_for_event(record.task, event, self._ctx.now_ms())
            if change is None:
                return
            if finishes_video(change):  # measured first, beside this loop (video_facts.py)
                record.finishing = True
                self._ctx.spawn(finish_video(self._ctx, task_id, change))
                return
            changed = await self._ctx.tasks.apply(task_id, change)
            if change.kind == "video_grid" and changed is not None:
                self._ctx.spawn(fetch_clips(self._ctx, changed))
        if changed is not None and changed.status == TaskStatus.SUCCESS and changed.mode in PAID:
            self._controls.fast_job_done(idle=not any(True for _ in self._ctx.tasks))

    async def _requeue_after_credits(self, task_id: str, reason: str) -> None:
        """Back to the queue: another account (or this one in relax) runs it. A follow-up stays
        on this account, the only one that can press its parent's buttons."""
        record = self._ctx.tasks.get(task_id)
        if record is None:
            return
        async with record.lock:
            pinned = record.task.parent_id is not None
            values = {"status": TaskStatus.PENDING, "nonce": None} if pinned else requeue_values()
            data = {"reason": f"out of fast time on account {self._ctx.account.id}: {reason}"}
            await self._ctx.tasks.record(task_id, values, "requeued", data)
