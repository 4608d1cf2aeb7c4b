"""An account's Midjourney controls: reading its state (`/info`, `/settings`) and its speed mode.

The runner's part for what belongs to the account rather than to a task (docs/accounts.md):

- `refresh`: `/info` then `/settings`, at start, every `refresh_s` and after a mode switch; each
  reply (also one an operator asked for by hand) is stored on the account row.
- `ensure_mode`: before a task is sent, the mode it runs in on this account (`app.domain.speed`);
  when that is not the account's mode, `/fast`, `/relax` or `/turbo` first. The lease only hands
  the runner a task of another mode when nothing is in flight on the account, so a switch never
  changes the mode under a running job.
- out of fast time ("Credits exhausted", or a refused `/fast`): the account is marked so; it keeps
  serving relax, and fast tasks go to other accounts (db/lease_rules.py).

Replies are tied to the command by the nonce they echo, or else by the command's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.discord import commands
from app.discord.account_info import AccountReading
from app.discord.errors import DiscordError, InvalidFormBody
from app.discord.events import AccountError, AccountErrorKind, AccountStateRead, BotEvent
from app.domain.account_state import AccountState
from app.domain.speed import RELAX, AccountModes, normalize_mode, run_mode
from app.domain.task import Task
from app.worker.context import RunnerContext
from db import account_state as state_queries

log = logging.getLogger(__name__)

REPLY_TIMEOUT_S = 20.0
REMIX_RETRY_S = 60.0  # a /prefer remix that got no answer is tried again after this long


@dataclass
class _Waiter:
    command: str
    nonce: str
    future: asyncio.Future[AccountStateRead | AccountError]


def state_of(reading: AccountReading) -> AccountState:
    return AccountState(
        job_mode=reading.job_mode,
        remix=reading.remix,
        fast_time_remaining=reading.fast_time_remaining,
        fast_minutes_left=reading.fast_minutes_left,
        subscription=reading.subscription,
        queued_jobs=reading.queued_jobs,
        running_jobs=reading.running_jobs,
        info=dict(reading.info) if reading.info is not None else None,
        settings=dict(reading.settings) if reading.settings is not None else None,
    )


class AccountControls:
    def __init__(
        self, ctx: RunnerContext, *, refresh_s: float = 900.0, fallback_relax: bool = False
    ) -> None:
        self._ctx = ctx
        self.refresh_s = refresh_s
        self.fallback_relax = fallback_relax
        row = ctx.account.row
        self.default_mode = normalize_mode(row.get("mode")) or "fast"
        self.job_mode: str | None = normalize_mode(row.get("job_mode"))
        self.fast_exhausted = bool(row.get("fast_exhausted", False))
        self.remix: bool | None = row.get("remix")
        self.remix_wanted: bool | None = row.get("remix_wanted")
        self._remix_tried_at = -REMIX_RETRY_S
        # The mode the runner leases in; set ahead of a switch so no task of the old mode is
        # leased while it happens.
        self.target: str | None = None
        self._waiters: list[_Waiter] = []
        self._switch_lock = asyncio.Lock()

    # ---------------------------------------------------------------- what the lease asks

    def sync(self, row: Mapping[str, Any]) -> None:
        """The operator's choices as the account row has them now (the admin route changes
        them while the runner runs): the default mode and the wished Remix state."""
        self.default_mode = normalize_mode(row.get("mode")) or self.default_mode
        self.remix_wanted = row.get("remix_wanted")
        self.fast_exhausted = bool(row.get("fast_exhausted", self.fast_exhausted))

    def lease_mode(self) -> str | None:
        """The mode tasks are leased for (None: the account row's job_mode, else default)."""
        return self.target or self.job_mode

    @property
    def current_mode(self) -> str:
        """The mode the account is in; not read yet: assumed its default (no switch for it)."""
        return self.job_mode or self.default_mode

    def modes(self) -> AccountModes:
        return AccountModes(
            default_mode=self.default_mode,
            job_mode=self.current_mode,
            fast_exhausted=self.fast_exhausted,
        )

    def mode_for(self, task: Task) -> str | None:
        return run_mode(task.mode_request(), self.modes(), fallback_relax=self.fallback_relax)

    # ---------------------------------------------------------------- replies

    def observe(self, event: BotEvent) -> bool:
        """Take an account reply (True), or leave the event to the task follower (False)."""
        if isinstance(event, AccountStateRead):
            self._ctx.spawn(self._store(event))
            self._resolve(event, event.source)
            return True
        if isinstance(event, AccountError) and event.kind == AccountErrorKind.OUT_OF_CREDITS:
            name = event.meta.interaction_name or ""
            return self._resolve(event, name) if name in ("fast", "turbo", "settings") else False
        return False

    def _resolve(self, event: AccountStateRead | AccountError, source: str) -> bool:
        nonce = event.meta.nonce
        waiter = next((w for w in self._waiters if nonce and w.nonce == nonce), None)
        if waiter is None:
            waiter = next((w for w in self._waiters if w.command == source), None)
        if waiter is None:
            return False
        self._waiters.remove(waiter)
        if not waiter.future.done():
            waiter.future.set_result(event)
        return True

    async def _store(self, event: AccountStateRead) -> None:
        reading = event.reading
        if reading.job_mode is not None:
            self.job_mode = reading.job_mode
        if reading.remix is not None:
            self.remix = reading.remix
        if reading.fast_minutes_left is not None:
            self.fast_exhausted = reading.fast_minutes_left <= state_queries.EXHAUSTED_MINUTES
        try:
            async with self._ctx.engine.begin() as conn:
                await state_queries.record_account_state(
                    conn,
                    self._ctx.account.id,
                    state_of(reading),
                    owner=self._ctx.account.owner,
                    fence=self._ctx.account.fence,
                )
        except Exception:  # a lost reading is read again at the next refresh
            log.exception("account state not stored", extra={"account": self._ctx.account.id})

    async def _ask(self, command: str, options: list[dict[str, Any]] | None = None) -> Any:
        """Send a slash command; its reply event, or None (no reply in time, or refused)."""
        nonce = self._ctx.nonces.next(self._ctx.clock())
        future: asyncio.Future[AccountStateRead | AccountError] = (
            asyncio.get_running_loop().create_future()
        )
        waiter = _Waiter(command, nonce, future)
        self._waiters.append(waiter)
        try:
            try:
                await self._send(command, nonce, options)
            except InvalidFormBody:  # Midjourney re-registered its commands: a fresh index
                await self._ctx.link.command_index(refresh=True)
                await self._send(command, nonce, options)
            return await asyncio.wait_for(future, REPLY_TIMEOUT_S)
        except (DiscordError, TimeoutError) as exc:
            log.warning(
                "account command got no answer",
                extra={"account": self._ctx.account.id, "command": command, "error": str(exc)},
            )
            return None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    async def _send(self, command: str, nonce: str, options: list[dict[str, Any]] | None) -> None:
        index = await self._ctx.link.command_index()
        payload = commands.slash_command(
            self._ctx.link.context(), index.get(command), nonce, options or ()
        )
        await self._ctx.link.send(payload)

    # ---------------------------------------------------------------- state and modes

    async def refresh(self) -> None:
        """`/info` then `/settings`; each reply is stored as it arrives."""
        for command in ("info", "settings"):
            await self._ask(command)

    async def run(self, first_after_s: float = 0.0) -> None:
        """Refresh every `refresh_s` (the first after `first_after_s`); never ends by an
        exception."""
        await asyncio.sleep(first_after_s)
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception(
                    "account state refresh failed", extra={"account": self._ctx.account.id}
                )
            await asyncio.sleep(self.refresh_s)

    async def out_of_fast_time(self) -> None:
        """Midjourney said "Credits exhausted": relax from now on, fast tasks elsewhere."""
        self.fast_exhausted = True
        if self.target is not None and self.target != RELAX:
            self.target = None
        async with self._ctx.engine.begin() as conn:
            await state_queries.mark_fast_exhausted(
                conn, self._ctx.account.id, owner=self._ctx.account.owner,
                fence=self._ctx.account.fence,
            )  # fmt: skip

    async def ensure_mode(self, task: Task) -> str | None:
        """The mode `task` runs in, the account switched to it first; None: it cannot run here."""
        async with self._switch_lock:
            for _ in range(2):  # a refused /fast marks the account; the second pass re-decides
                mode = self.mode_for(task)
                if mode is None or mode == self.current_mode:
                    return mode
                if await self._switch(mode):
                    return mode
                if not self.fast_exhausted:
                    return None
            return None

    async def _switch(self, mode: str) -> bool:
        self.target = mode
        reply = await self._ask(mode)
        if isinstance(reply, AccountStateRead):
            self.job_mode = mode
            async with self._ctx.engine.begin() as conn:
                await state_queries.set_job_mode(
                    conn, self._ctx.account.id, mode, owner=self._ctx.account.owner,
                    fence=self._ctx.account.fence,
                )  # fmt: skip
            self._ctx.spawn(self._ask_quietly("info"))
            return True
        if isinstance(reply, AccountError):
            await self.out_of_fast_time()
        self.target = None
        return False

    def remix_to_toggle(self) -> bool:
        """Remix as read differs from the operator's wish (and no recent try is pending)."""
        if self.remix_wanted is None or self.remix is None or self.remix == self.remix_wanted:
            return False
        return self._ctx.clock() - self._remix_tried_at >= REMIX_RETRY_S

    async def toggle_remix(self) -> None:
        """`/prefer remix` (a toggle), only called while nothing is in flight on the account."""
        self._remix_tried_at = self._ctx.clock()
        reply = await self._ask("prefer", [{"type": 1, "name": "remix", "options": []}])
        if isinstance(reply, AccountStateRead) and reply.reading.remix is not None:
            self.remix = reply.reading.remix

    async def _ask_quietly(self, command: str) -> None:
        await self._ask(command)
