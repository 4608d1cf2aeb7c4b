"""One account's runner: lease its tasks, submit them to Discord, follow the bot, record results.

Theory of operation. The runner holds one connected `DiscordLink` and three loops:

- follow: every gateway event. Connection events set the account's health (a resumable drop is
  `reconnecting`, never `disabled`; a fatal close code disables the account and ends the runner).
  Bot events go through the correlator to the task they belong to, and `translate` says what
  changed; each change is recorded by `taskstore.record_change` with this runner's fence.
- lease: when connected and healthy, claim pending tasks up to the account's free slots (the cap
  is enforced in SQL), then submit each: nonce recorded first, then the interaction.
- timeouts: an in-flight task past the account's timeout fails with a reason.

On start the runner adopts the account's in-flight tasks (a takeover after a crash) and
reconciles each with Discord before anything is resubmitted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord import commands
from app.discord.commands import InteractionContext
from app.discord.correlation import Correlator, NonceGenerator
from app.discord.errors import (
    DiscordError,
    DiscordLocalError,
    Forbidden,
    InvalidFormBody,
    Unauthorized,
)
from app.discord.events import (
    AccountError,
    BotEvent,
    GatewayFatal,
    IframeModalOpened,
    ModalOpened,
    Ready,
    Reconnecting,
    Resumed,
)
from app.domain.status import TIMEOUT_REASON, TaskStatus, is_final
from app.domain.task import Task
from app.worker import adoption, handover, interactions
from app.worker.link import DiscordLink
from app.worker.ownership import OwnedAccount
from app.worker.translate import Change, change_for_event
from app.worker.wakeup import Wakeup
from db import accounts as account_queries
from db import leasing
from db import tasks as task_queries

log = logging.getLogger(__name__)

TIMEOUT_CHECK_S = 1.0
MAX_SUBMIT_ATTEMPTS = 2


class ProcessNonces:
    """Nonces unique across this process's runners and, with a random offset, across workers.

    Every runner minting its own snowflakes would hand two accounts the same nonce in the same
    millisecond; the sandbox and our logs key interactions by nonce, so keep them distinct.
    """

    def __init__(self) -> None:
        self._generator = NonceGenerator()
        self._offset = random.getrandbits(21)

    def next(self, now: float) -> str:
        return str(int(self._generator.next(now)) + self._offset)


NONCES = ProcessNonces()


class AccountUnusable(Exception):
    """The account cannot work (bad token, ban, captcha…); the runner stops."""


class AccountRunner:
    def __init__(
        self,
        account: OwnedAccount,
        link: DiscordLink,
        engine: AsyncEngine,
        *,
        wakeup: Wakeup,
        poll_s: float = 2.0,
        reconcile_grace_s: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.link = link
        self.engine = engine
        self.wakeup = wakeup
        self.poll_s = poll_s
        self.reconcile_grace_s = reconcile_grace_s
        self.clock = clock
        self.timeout_s = float(account.row["task_timeout_s"])
        self.correlator = Correlator()
        self.nonces = NONCES
        self.jobs: dict[str, Task] = {}  # in-flight tasks, latest snapshot
        self.deadlines: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._connected = asyncio.Event()
        self._health = str(account.row["health"])
        self._background: set[asyncio.Task[None]] = set()
        self._unusable = asyncio.Event()
        self._disabling = False

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def _log_extra(self) -> dict[str, Any]:
        return {"account": self.account.id, "fence": self.account.fence}

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._follow())
                group.create_task(self._stop_when_unusable())
                await self._connected.wait()
                await self._recover()
                group.create_task(self._lease_loop())
                group.create_task(self._timeout_loop())
        except* AccountUnusable:
            log.warning("account unusable; runner stopped", extra=self._log_extra)
        finally:
            for task in self._background:
                task.cancel()

    async def _stop_when_unusable(self) -> None:
        await self._unusable.wait()
        raise AccountUnusable(self.account.id)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------------------ recording

    async def _record(
        self, task_id: str, values: dict[str, Any], kind: str, data: dict[str, Any] | None = None
    ) -> Task | None:
        """Record a change under this runner's fence; None when the task is no longer ours."""
        changed = await taskstore.record_change(
            self.engine,
            task_id,
            values,
            kind=kind,
            data=data,
            expected_fence=self.account.fence,
            expected_account_id=self.account.id,
        )
        if changed is None or is_final(changed.status) or changed.account_id != self.account.id:
            self._forget(task_id)
            if changed is None:
                log.info("task no longer held by this runner", extra={"task": task_id})
        elif changed.status == TaskStatus.PENDING:
            self._forget(task_id)
        else:
            self.jobs[task_id] = changed
        return changed

    async def _apply(self, task_id: str, change: Change) -> Task | None:
        return await self._record(task_id, change.values, change.kind, change.data or None)

    def _forget(self, task_id: str) -> None:
        if self.jobs.pop(task_id, None) is not None:
            self.wakeup.fire()  # a slot is free
        self.deadlines.pop(task_id, None)
        self.correlator.forget(task_id)
        # A long-lived runner must not keep a lock per task it ever saw; whoever still holds
        # this one finds the task gone from `jobs` and stops.
        self._locks.pop(task_id, None)

    def _lock(self, task_id: str) -> asyncio.Lock:
        return self._locks.setdefault(task_id, asyncio.Lock())

    # ------------------------------------------------------------------------------ health

    async def _set_health(self, health: str, reason: str | None) -> None:
        if health == self._health:
            return
        self._health = health
        async with self.engine.begin() as conn:
            await account_queries.set_health(
                conn,
                self.account.id,
                health,
                reason,
                owner=self.account.owner,
                fence=self.account.fence,
            )
        log.warning(
            "account health changed", extra={**self._log_extra, "health": health, "reason": reason}
        )

    async def _disable(self, reason: str) -> None:
        """Take the account out of leasing at once, hand its work to healthy accounts, stop."""
        if self._disabling:
            return
        self._disabling = True
        # Shielded: the ownership loop drops a disabled account (cancelling this runner) and the
        # hand-over must not be cut in half by that.
        await asyncio.shield(self._hand_over(reason))
        self._unusable.set()

    async def _hand_over(self, reason: str) -> None:
        """One transaction: account disabled, its queue unassigned, its in-flight work moved."""
        self._health = "disabled"
        async with self.engine.begin() as conn:
            await handover.take_out_of_service(
                conn, self.account.id, reason, int(self.clock() * 1000)
            )
        for task_id in list(self.jobs):
            self._forget(task_id)
        log.warning("account disabled", extra={**self._log_extra, "reason": reason})

    # ------------------------------------------------------------------------------ follow

    async def _follow(self) -> None:
        async for event in self.link.events():
            if isinstance(event, Ready | Resumed):
                self._connected.set()
                await self._set_health("ok", None)
                self.wakeup.fire()
            elif isinstance(event, Reconnecting):
                await self._set_health("reconnecting", f"gateway closed ({event.close_code})")
            elif isinstance(event, GatewayFatal):
                await self._disable(f"gateway closed with {event.close_code}: {event.reason}")
                return
            elif isinstance(event, BotEvent):
                await self._on_bot_event(event)

    async def _on_bot_event(self, event: BotEvent) -> None:
        task_id = self.correlator.observe(event)
        if task_id is None or task_id not in self.jobs:
            if isinstance(event, AccountError):
                await self._disable(event.reason)
            return
        if isinstance(event, ModalOpened | IframeModalOpened):
            self._spawn(self._answer_modal(task_id, event))
            return
        async with self._lock(task_id):
            task = self.jobs.get(task_id)
            if task is None:
                return
            change = change_for_event(task, event, int(self.clock() * 1000))
            if change is not None:
                await self._apply(task_id, change)
        if isinstance(event, AccountError):
            await self._disable(event.reason)

    # ------------------------------------------------------------------------------ lease

    async def _lease_loop(self) -> None:
        while True:
            if self._connected.is_set() and self._health == "ok":
                for task in await self._lease():
                    self._spawn(self._submit(task))
            await self.wakeup.wait(self.poll_s)

    async def _lease(self) -> list[Task]:
        async with self.engine.begin() as conn:
            rows = await leasing.lease_tasks(
                conn,
                account_id=self.account.id,
                owner=self.account.owner,
                fence=self.account.fence,
            )
            claimed = []
            for row in rows:
                # The lease moved it to STARTED; its history and callback say so, same transaction.
                task = await taskstore.record_change(conn, row["id"], {}, kind="started")
                if task is not None:
                    claimed.append(task)
        for task in claimed:
            self.jobs[task.id] = task
            self.deadlines[task.id] = self.clock() + self.timeout_s
        return claimed

    # ------------------------------------------------------------------------------ submit

    def _context(self) -> InteractionContext:
        return InteractionContext(
            channel_id=str(self.account.row["channel_id"]),
            guild_id=str(self.account.row["guild_id"]),
            session_id=self.link.session_id or "",
        )

    async def _inputs(self, task: Task, role: str = "input") -> list[tuple[str, bytes]]:
        async with self.engine.connect() as conn:
            rows = await task_queries.list_task_files(conn, task.id, role)
        return [(row["name"], bytes(row["data"])) for row in rows]

    async def _build(self, task: Task, nonce: str) -> interactions.Submission:
        ctx = self._context()
        if interactions.is_follow_up(task):
            parent = await taskstore.get_task(self.engine, str(task.parent_id))
            if parent is None:
                raise interactions.CannotSubmit("the parent task no longer exists")
            return interactions.follow_up(ctx, task, parent, nonce)
        files = await self._inputs(task)
        index = await self.link.command_index()
        if task.action == "IMAGINE" and files:
            links = await self.link.post_images(files)
            return interactions.slash(ctx, task, index, nonce, image_links=links)
        uploads = await self.link.upload(files) if files else []
        return interactions.slash(ctx, task, index, nonce, uploads=uploads)

    async def _submit(self, task: Task) -> None:
        nonce = self.nonces.next(self.clock())
        async with self.engine.begin() as conn:
            attempts = await leasing.mark_submitting(
                conn,
                task_id=task.id,
                owner=self.account.owner,
                fence=self.account.fence,
                nonce=nonce,
            )
        if attempts is None:
            self._forget(task.id)
            return
        try:
            submission = await self._build(task, nonce)
            self.correlator.track(
                task.id,
                nonce=nonce,
                now=self.clock(),
                prompt=task.prompt_en or task.prompt or None,
                parent_message_id=submission.parent_message_id,
                index=submission.index,
            )
            try:
                await self.link.send_interaction(submission.payload)
            except InvalidFormBody:
                if interactions.is_follow_up(task):
                    raise
                # Midjourney re-registered its commands: a stale version is refused (400,
                # never run). Take the current index and send the same job once more.
                await self.link.command_index(refresh=True)
                submission = await self._build(task, nonce)
                await self.link.send_interaction(submission.payload)
        except (interactions.CannotSubmit, DiscordLocalError) as exc:
            await self._fail(task.id, str(exc), "submit_failed")
            return
        except (Unauthorized, Forbidden) as exc:
            await self._disable(f"Discord refused the account: {exc}")
            return
        except DiscordError as exc:
            # We cannot know whether it went out; failing is honest, resubmitting might double it.
            await self._fail(
                task.id, f"Discord did not accept the interaction: {exc}", "submit_failed"
            )
            return
        async with self._lock(task.id):
            current = self.jobs.get(task.id)
            if current is not None and current.status == TaskStatus.STARTED:
                values: dict[str, Any] = {"status": TaskStatus.SUBMITTED}
                job = self.correlator.get(task.id)
                if job is not None and job.last_interaction_id:
                    # INTERACTION_CREATE often beats the 204: keep its id for a crash recovery.
                    values["interaction_id"] = job.last_interaction_id
                await self._record(task.id, values, "submitted", {"nonce": nonce})

    async def _fail(self, task_id: str, reason: str, kind: str) -> None:
        async with self._lock(task_id):
            values = {"status": TaskStatus.FAILURE, "fail_reason": reason}
            await self._record(task_id, values, kind, {"reason": reason})

    async def _answer_modal(self, task_id: str, event: ModalOpened | IframeModalOpened) -> None:
        """Custom Zoom / PicReader modals are answered with the prompt the client gave."""
        task = self.jobs.get(task_id)
        if task is None:
            return
        prompt = task.params.get("modalPrompt") or task.params.get("prompt") or task.prompt
        if isinstance(event, IframeModalOpened):
            await self._answer_iframe(task, event, str(prompt or ""))
            return
        if not prompt or not event.fields:
            await self._fail(
                task_id, "this action needs input the bot asked for in a modal", "modal"
            )
            return
        nonce = self.nonces.next(self.clock())
        self.correlator.track(task_id, nonce=nonce, now=self.clock())
        payload = commands.submit_modal(
            self._context(),
            modal_id=event.interaction_id,
            custom_id=event.custom_id,
            fields={event.fields[0].custom_id: str(prompt)},
            nonce=nonce,
            application_id=event.application_id or commands.MJ_APPLICATION_ID,
        )
        try:
            await self.link.send_interaction(payload)
        except DiscordError as exc:
            await self._fail(task_id, f"Discord did not accept the modal: {exc}", "submit_failed")

    async def _answer_iframe(self, task: Task, event: IframeModalOpened, prompt: str) -> None:
        """Vary (Region): the client's mask and prompt go to the editor's backend."""
        masks = await self._inputs(task, role="mask")
        if not masks:
            await self._fail(task.id, "Vary (Region) needs a mask", "modal")
            return
        try:
            await self.link.submit_inpaint(event.token, masks[0][1], prompt)
        except DiscordError as exc:
            await self._fail(task.id, f"the Vary (Region) editor refused the mask: {exc}", "modal")

    # ------------------------------------------------------------------------------ timeouts

    async def _timeout_loop(self) -> None:
        while True:
            await asyncio.sleep(TIMEOUT_CHECK_S)
            now = self.clock()
            expired = [task_id for task_id, deadline in self.deadlines.items() if deadline <= now]
            for task_id in expired:
                await self._fail(task_id, TIMEOUT_REASON, "timeout")

    # ------------------------------------------------------------------------------ recovery

    async def _recover(self) -> None:
        """Adopt this account's in-flight tasks; find out from Discord where each one stands."""
        async with self.engine.begin() as conn:
            rows = await leasing.adopt_tasks(
                conn,
                account_id=self.account.id,
                owner=self.account.owner,
                fence=self.account.fence,
            )
        if not rows:
            return
        log.info("adopting in-flight tasks", extra={**self._log_extra, "tasks": len(rows)})
        unsent: list[Task] = []
        for row in rows:
            task = Task.from_row(row)
            self.jobs[task.id] = task
            started = (task.start_time or self.clock() * 1000) / 1000
            self.deadlines[task.id] = started + self.timeout_s
            if task.nonce is None:
                unsent.append(task)  # leased, never sent: nothing on Discord to find
                continue
            adoption.adopt(self.correlator, task, task.nonce, started)
        await self._replay_recent_messages()
        for task in unsent:
            self._spawn(self._submit(task))
        self._spawn(self._resubmit_lost())

    async def _replay_recent_messages(self) -> None:
        """Messages the old owner missed, oldest first, as if they arrived now."""
        try:
            messages = await self.link.recent_messages(100)
        except DiscordError as exc:
            log.warning("could not read recent messages: %s", exc, extra=self._log_extra)
            return
        ordered = sorted(messages, key=lambda m: int(m.get("id", 0)))
        events = [self.link.parse_message(message) for message in ordered]
        await adoption.settle_replay(self.engine, self.correlator, events)
        for event in events:
            await self._on_bot_event(event)

    async def _resubmit_lost(self) -> None:
        """A task whose interaction never reached Discord is sent again, once, after a grace."""
        await asyncio.sleep(self.reconcile_grace_s)
        for task_id, task in list(self.jobs.items()):
            if task.status != TaskStatus.STARTED or task.nonce is None:
                continue
            job = self.correlator.get(task_id)
            if job is not None and (job.interaction_ids or job.message_ids):
                continue  # Discord has seen it
            if task.submit_attempts >= MAX_SUBMIT_ATTEMPTS:
                await self._fail(task_id, "the interaction could not be confirmed", "submit_failed")
                continue
            log.info("resubmitting a task Discord never saw", extra={"task": task_id})
            self.correlator.forget(task_id)
            self._spawn(self._submit(task))
