"""An account's Midjourney controls: reading its state (`/info`, `/settings`) and its speed mode.

The runner's part for what belongs to the account rather than to a task (docs/accounts.md):

- `refresh`: `/info` then `/settings`, at start, every `refresh_s` and after a mode switch; each
  reply (also one an operator asked for by hand) is stored on the account row. niji・journey
  keeps its own speed mode and Remix (spec v2 §6): an account whose `bots` list niji is read
  from niji's own commands too, and its replies stored in the `niji_*` columns.
- `ensure_mode`: before a task is sent, the mode it runs in on this account (`app.domain.speed`);
  when that is not the mode of the task's bot, that bot's `/fast`, `/relax` or `/turbo` first.
  The lease only hands the runner a task of another mode when nothing is in flight on the
  account, so a switch never changes the mode under a running job.
- out of fast time ("Credits exhausted", or a refused `/fast`): the account is marked so; it keeps
  serving relax, and fast tasks go to other accounts (db/lease_rules.py). Fast time is the
  subscription's: one mark for both bots.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.discord.account_info import AccountReading
from app.discord.events import AccountError, AccountErrorKind, AccountStateRead, BotEvent
from app.domain.account_state import AccountState
from app.domain.actions import Bot
from app.domain.speed import RELAX, AccountModes, normalize_mode, run_mode
from app.domain.task import Task
from app.worker.context import RunnerContext
from app.worker.control_replies import ControlReplies, bot_of_reply
from db import account_state as state_queries

log = logging.getLogger(__name__)

REMIX_RETRY_S = 60.0  # a /prefer remix that got no answer is tried again after this long
# /info is read again when the account goes idle after fast or turbo jobs, at most this often,
# so the fast time they spent is shared among few tasks (db/gpu_time.py, docs/keys.md).
INFO_AFTER_JOBS_S = 60.0


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


def bot_of_task(task: Task) -> Bot:
    """The bot whose speed mode a task runs in: niji's for niji tasks, Midjourney's else."""
    return Bot.NIJI if task.bot == Bot.NIJI else Bot.MJ


@dataclass
class BotMode:
    """One bot's speed mode on the account: as read, and the one leased in (`target`, set ahead
    of a switch so no task of the old mode is leased while it happens)."""

    job_mode: str | None = None
    remix: bool | None = None
    target: str | None = None


class AccountControls:
    def __init__(
        self, ctx: RunnerContext, *, refresh_s: float = 900.0, fallback_relax: bool = False
    ) -> None:
        self._ctx = ctx
        self.refresh_s = refresh_s
        self.fallback_relax = fallback_relax
        row = ctx.account.row
        self.default_mode = normalize_mode(row.get("mode")) or "fast"
        self.fast_exhausted = bool(row.get("fast_exhausted", False))
        self.bots = {
            Bot.MJ: BotMode(normalize_mode(row.get("job_mode")), row.get("remix")),
            Bot.NIJI: BotMode(normalize_mode(row.get("niji_job_mode")), row.get("niji_remix")),
        }
        self.uses_niji = Bot.NIJI in (row.get("bots") or ())
        self.remix_wanted: bool | None = row.get("remix_wanted")
        self._remix_tried_at = -REMIX_RETRY_S
        self._info_after_jobs_at = -INFO_AFTER_JOBS_S
        self._replies = ControlReplies(ctx)
        self._switch_lock = asyncio.Lock()

    # Midjourney's state under its old names (the Remix wish is Midjourney's).
    @property
    def job_mode(self) -> str | None:
        return self.bots[Bot.MJ].job_mode

    @property
    def remix(self) -> bool | None:
        return self.bots[Bot.MJ].remix

    # ---------------------------------------------------------------- what the lease asks

    def sync(self, row: Mapping[str, Any]) -> None:
        """The operator's choices as the account row has them now (the admin route changes
        them while the runner runs): the default mode and the wished Remix state."""
        self.default_mode = normalize_mode(row.get("mode")) or self.default_mode
        self.remix_wanted = row.get("remix_wanted")
        self.fast_exhausted = bool(row.get("fast_exhausted", self.fast_exhausted))
        if "bots" in row:
            self.uses_niji = Bot.NIJI in (row.get("bots") or ())

    def lease_mode(self, bot: Bot = Bot.MJ) -> str | None:
        """The mode `bot`'s tasks are leased for (None: the account row's, else the default)."""
        state = self.bots[bot]
        return state.target or state.job_mode

    def current_mode(self, bot: Bot = Bot.MJ) -> str:
        """The mode `bot` is in; not read yet: assumed the default (no switch for it)."""
        return self.bots[bot].job_mode or self.default_mode

    def modes(self, bot: Bot = Bot.MJ) -> AccountModes:
        return AccountModes(
            default_mode=self.default_mode,
            job_mode=self.current_mode(bot),
            fast_exhausted=self.fast_exhausted,
        )

    def mode_for(self, task: Task) -> str | None:
        modes = self.modes(bot_of_task(task))
        return run_mode(task.mode_request(), modes, fallback_relax=self.fallback_relax)

    def switching_for(self, task: Task) -> None:
        """A task claimed for a switch: its bot leases in its mode from now on."""
        self.bots[bot_of_task(task)].target = self.mode_for(task)

    # ---------------------------------------------------------------- replies

    def observe(self, event: BotEvent) -> bool:
        """Take an account reply (True), or leave the event to the task follower (False)."""
        if isinstance(event, AccountStateRead):
            bot = bot_of_reply(event.meta.author_id)
            if bot is not None:  # (another bot's reply of that shape is no task's either)
                self._ctx.spawn(self._store(event, bot))
            self._replies.resolve(event, event.source)
            return True
        if isinstance(event, AccountError) and event.kind == AccountErrorKind.OUT_OF_CREDITS:
            name = event.meta.interaction_name or ""
            if name in ("fast", "turbo", "settings"):
                return self._replies.resolve(event, name)
        return False

    async def _store(self, event: AccountStateRead, bot: Bot) -> None:
        reading = event.reading
        state = self.bots[bot]
        if reading.job_mode is not None:
            state.job_mode = reading.job_mode
        if reading.remix is not None:
            state.remix = reading.remix
        if bot == Bot.MJ and reading.fast_minutes_left is not None:
            self.fast_exhausted = reading.fast_minutes_left <= state_queries.EXHAUSTED_MINUTES
        try:
            async with self._ctx.engine.begin() as conn:
                await state_queries.record_account_state(
                    conn,
                    self._ctx.account.id,
                    state_of(reading),
                    owner=self._ctx.account.owner,
                    fence=self._ctx.account.fence,
                    bot=bot,
                )
        except Exception:  # a lost reading is read again at the next refresh
            log.exception("account state not stored", extra={"account": self._ctx.account.id})

    # ---------------------------------------------------------------- state and modes

    async def refresh(self) -> None:
        """`/info` then `/settings` of Midjourney, then of niji when the account uses it; each
        reply is stored as it arrives."""
        for bot in (Bot.MJ, Bot.NIJI) if self.uses_niji else (Bot.MJ,):
            for command in ("info", "settings"):
                await self._replies.ask(command, bot)

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
        for state in self.bots.values():
            if state.target is not None and state.target != RELAX:
                state.target = None
        async with self._ctx.engine.begin() as conn:
            await state_queries.mark_fast_exhausted(
                conn, self._ctx.account.id, owner=self._ctx.account.owner,
                fence=self._ctx.account.fence,
            )  # fmt: skip

    async def ensure_mode(self, task: Task) -> str | None:
        """The mode `task` runs in, its bot switched to it first; None: it cannot run here."""
        bot = bot_of_task(task)
        async with self._switch_lock:
            for _ in range(2):  # a refused /fast marks the account; the second pass re-decides
                mode = self.mode_for(task)
                if mode is None or mode == self.current_mode(bot):
                    return mode
                if await self._switch(mode, bot):
                    return mode
                if not self.fast_exhausted:
                    return None
            return None

    async def _switch(self, mode: str, bot: Bot) -> bool:
        state = self.bots[bot]
        state.target = mode
        reply = await self._replies.ask(mode, bot)
        if isinstance(reply, AccountStateRead):
            state.job_mode = mode
            async with self._ctx.engine.begin() as conn:
                await state_queries.set_job_mode(
                    conn, self._ctx.account.id, mode, owner=self._ctx.account.owner,
                    fence=self._ctx.account.fence, bot=bot,
                )  # fmt: skip
            self._ctx.spawn(self._ask_quietly("info", bot))
            return True
        if isinstance(reply, AccountError):
            await self.out_of_fast_time()
        state.target = None
        return False

    def fast_job_done(self, *, idle: bool) -> None:
        """A fast or turbo job succeeded: read /info once the account is idle (at most once
        every `INFO_AFTER_JOBS_S`; the scheduled refresh covers the rest)."""
        now = self._ctx.clock()
        if idle and now - self._info_after_jobs_at >= INFO_AFTER_JOBS_S:
            self._info_after_jobs_at = now
            self._ctx.spawn(self._ask_quietly("info", Bot.MJ))

    def remix_to_toggle(self) -> bool:
        """Remix as read differs from the operator's wish (and no recent try is pending)."""
        if self.remix_wanted is None or self.remix is None or self.remix == self.remix_wanted:
            return False
        return self._ctx.clock() - self._remix_tried_at >= REMIX_RETRY_S

    async def toggle_remix(self) -> None:
        """Midjourney's `/prefer remix` (a toggle), only called while nothing is in flight."""
        self._remix_tried_at = self._ctx.clock()
        reply = await self._replies.ask(
            "prefer", Bot.MJ, [{"type": 1, "name": "remix", "options": []}]
        )
        if isinstance(reply, AccountStateRead) and reply.reading.remix is not None:
            self.bots[Bot.MJ].remix = reply.reading.remix

    async def _ask_quietly(self, command: str, bot: Bot) -> None:
        await self._replies.ask(command, bot)
