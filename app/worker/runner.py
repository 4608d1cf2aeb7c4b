"""One account's runner: the wiring of its parts, and the lease and timeout loops.

Theory of operation. The runner holds one connected `DiscordLink` (the account's session) and
one `InFlight` record per task it drives (`inflight`). Its parts, each in its own module:

- `follow`: every gateway event — connection events set the account's `health` (a fatal close
  disables the account and ends the runner); bot events go through the correlator to their task
  and `translate` says what changed; modals the bot opens are answered (`modals`).
- lease (here): when connected and healthy, claim pending tasks up to the account's free slots
  (the cap is enforced in SQL), then `submit` each: nonce recorded first, then the interaction.
- timeouts (here): an in-flight task past the account's timeout fails with the reason every
  dialect knows.
- `recovery`: on start, adopt the account's in-flight tasks (a takeover after a crash) and
  reconcile each with Discord before anything is resubmitted; after a gateway reconnect that
  could not resume (a new session), `resync` does the same for the jobs it already drives.
- `health`: the account-failure policy, once: what a fatal close, a bot's account error or a
  refused token do to the account and its tasks.
- `controls`: the account's own state (/info, /settings, read at start and on a schedule) and
  its speed mode, switched before a task that needs another one (docs/accounts.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import taskstore
from app.discord.correlation import Correlator
from app.domain.actions import Bot
from app.domain.status import TIMEOUT_REASON
from app.domain.task import Task
from app.worker.context import Nonces, RunnerContext
from app.worker.controls import AccountControls
from app.worker.follow import Follower
from app.worker.health import AccountHealth
from app.worker.inflight import InFlightTasks
from app.worker.link import DiscordLink
from app.worker.modals import ModalAnswers
from app.worker.ownership import OwnedAccount
from app.worker.recovery import Recovery
from app.worker.submit import Submitter
from app.worker.wake_routing import Seat, WakeRouter
from app.worker.wakeup import Wakeup
from db import account_state, leasing
from db.leasing import DEFAULT_POLICY, LeasePolicy

log = logging.getLogger(__name__)

TIMEOUT_CHECK_S = 1.0
STARTUP_STATE_S = 10.0  # at most this long reading /info and /settings before leasing


class AccountUnusable(Exception):
    """The account cannot work (bad token, ban, captcha…); the runner stops."""


def lease_again_at_once(limit: int | None, claimed: int, batons: int, room: int) -> bool:
    """After a claim: maybe more for this account, so lease again without waiting. Only after a
    full claim, and not when each task claimed answered a notification of its own (the
    light-load case), nor when the account has no slot left (in a backlog each claim of one
    fills the last slot, and the lease after it found the cap): the next notification or a
    freed slot wakes the runner, and a lease that finds nothing is a whole transaction."""
    return limit is not None and claimed >= limit and batons != claimed and room > 0


class AccountRunner:
    def __init__(
        self,
        account: OwnedAccount,
        link: DiscordLink,
        engine: AsyncEngine,
        *,
        wakeup: Wakeup,
        nonces: Nonces | None = None,
        poll_s: float = 2.0,
        reconcile_grace_s: float = 15.0,
        policy: LeasePolicy = DEFAULT_POLICY,
        state_refresh_s: float = 900.0,
        clock: Callable[[], float] = time.time,
        router: WakeRouter | None = None,
    ) -> None:
        self.account = account
        self.router = router
        self.engine = engine
        self.wakeup = wakeup
        self.poll_s = poll_s
        self.clock = clock
        self.timeout_s = float(account.row["task_timeout_s"])
        self.policy = policy
        self._background: set[asyncio.Task[None]] = set()
        correlator = Correlator()
        self.tasks = InFlightTasks(engine, account, correlator, wakeup)
        self.health = AccountHealth(account, engine, self.tasks, clock)
        ctx = RunnerContext(
            account, engine, link, self.tasks, correlator, nonces or Nonces(), self._spawn, clock
        )
        self.controls = AccountControls(
            ctx, refresh_s=state_refresh_s, fallback_relax=policy.fallback_relax
        )
        self.submitter = Submitter(ctx, self.health, self.controls)
        self.follower = Follower(ctx, self.health, ModalAnswers(ctx), wakeup, self.controls)
        self.recovery = Recovery(
            ctx, self.follower, self.submitter, timeout_s=self.timeout_s, grace_s=reconcile_grace_s
        )
        self.follower.on_new_session = self.recovery.resync
        self.seat = Seat(
            account.id,
            frozenset(account.row.get("bots") or ("mj",)),
            wakeup,
            in_flight=lambda: len(self.tasks),
            room=self._room,
            weight=float(account.row.get("weight") or 1),
        )

    def _room(self) -> int:
        if not self.health.can_lease:
            return 0
        return max(int(self.account.row.get("concurrency") or 1) - len(self.tasks), 0)

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.follower.run())
                group.create_task(self._stop_when_unusable())
                await self.health.connected.wait()
                # The account's state first (bounded): the lease needs its mode and fast time.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.controls.refresh(), STARTUP_STATE_S)
                group.create_task(self.controls.run(first_after_s=self.controls.refresh_s))
                await self.recovery.recover()
                group.create_task(self._lease_loop())
                group.create_task(self._timeout_loop())
        except* AccountUnusable:
            log.warning(
                "account unusable; runner stopped",
                extra={"account": self.account.id, "fence": self.account.fence},
            )
        finally:
            if self.router is not None:
                self.router.leave(self.seat)
            for task in self._background:
                task.cancel()

    async def _stop_when_unusable(self) -> None:
        await self.health.unusable.wait()
        raise AccountUnusable(self.account.id)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _lease_loop(self) -> None:
        if self.router is not None:
            self.router.join(self.seat)
        while True:
            batons = self.router.take(self.seat) if self.router is not None else []
            claimed: list[Task] = []
            try:
                if self.health.can_lease:
                    limit = self._claim_limit()
                    claimed = await self._lease(limit)
                    for task in claimed:
                        self._spawn(self.submitter.submit(task))
                    if lease_again_at_once(limit, len(claimed), len(batons), self._room()):
                        self.wakeup.fire()
            finally:  # wake-ups this lease could not use go on to another runner
                if self.router is not None:
                    self.router.settle(self.seat, batons, len(claimed))
            await self.wakeup.wait(self.poll_s)

    def _claim_limit(self) -> int | None:
        """How many tasks one claim may take. The claim's SQL ranks accounts by their load
        *before* it, so a runner that filled its free slots in one statement took a whole burst
        for itself (10 tasks at once over 10 idle accounts all went to the first one leasing,
        and each final message then queued behind the others' writes on its one gateway). So it
        claims one at a time, leasing again at once after each: every claim defers to the
        accounts that are now less busy. Fill-first wants the burst."""
        return None if self.policy.choice == "fill-first" else 1

    async def _lease(self, limit: int | None = None) -> list[Task]:
        """Tasks in the account's mode; when idle and there are none, one that needs a switch
        (its mode becomes the one leased in at once, so nothing of the old mode joins it). Both
        claims in one transaction: an idle runner that finds nothing (each one whose last task
        just ended) spends one, not two."""
        idle = not any(True for _ in self.tasks)
        if idle and self.controls.remix_to_toggle():
            await self.controls.toggle_remix()  # the operator's wish, before any job starts
        claimed, switched = await self._claim(limit=limit, idle=idle)
        if switched:
            for task in claimed:
                self.controls.switching_for(task)
        return claimed

    async def _claim(self, *, limit: int | None, idle: bool) -> tuple[list[Task], bool]:
        """The claimed tasks, and whether they need a mode switch."""
        switched = False
        async with self.engine.begin() as conn:
            owner, fence = self.account.owner, self.account.fence
            settings = await account_state.lock_for_lease(
                conn, self.account.id, owner=owner, fence=fence
            )
            if settings is None:  # not ours, or out of service: nothing to lease
                settings = await account_state.get_account_state(conn, self.account.id)
                if settings is not None:
                    self.controls.sync(dict(settings))
                return [], False
            self.controls.sync(dict(settings))
            rows = await self._claim_rows(conn, owner, fence, switch=False, limit=limit)
            if not rows and idle:
                rows = await self._claim_rows(conn, owner, fence, switch=True, limit=None)
                switched = True
            claimed = []
            for row in rows:
                # The lease moved it to STARTED; its history and callback say so, same transaction.
                task = await taskstore.record_change(conn, row["id"], {}, kind="started")
                if task is not None:
                    claimed.append(task)
        for task in claimed:
            self.tasks.hold(task, self.clock() + self.timeout_s)
        return claimed, switched

    async def _claim_rows(
        self, conn: AsyncConnection, owner: str, fence: int, *, switch: bool, limit: int | None
    ) -> list[dict[str, Any]]:
        return await leasing.lease_tasks(
            conn,
            account_id=self.account.id,
            owner=owner,
            fence=fence,
            mode=self.controls.lease_mode(Bot.MJ),
            niji_mode=self.controls.lease_mode(Bot.NIJI),
            switch=switch,
            policy=self.policy,
            limit=limit if limit is not None else leasing.NO_LIMIT,
            locked=True,
        )

    async def _timeout_loop(self) -> None:
        while True:
            await asyncio.sleep(TIMEOUT_CHECK_S)
            for task_id in self.tasks.expired(self.clock()):
                await self.tasks.fail(task_id, TIMEOUT_REASON, "timeout")
