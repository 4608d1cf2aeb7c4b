"""Crash recovery: a new owner adopts the account's in-flight tasks and asks Discord about them.

Under the new owner's fence: tasks leased but never sent (no nonce) are submitted; tasks with a
nonce are tracked with every key their rows kept (`adoption`) and the channel's recent messages
are replayed, so results that arrived while nobody listened are recorded. A task that still shows
no sign of reaching Discord after the grace is sent once more with a fresh nonce, then fails.
A video waiting for its clips also pages the channel forward from its grid (its clips may be
older than the recent messages), and presses only the clips found nowhere.

A new gateway session (a reconnect that could not resume) is a takeover by ourselves: the events
of the gap are lost, so `resync` re-seeds the jobs in flight from their task rows (marked adopted:
the prompt fallback refuses ambiguity for them) and replays the channel the same way. It never
resubmits: a job that shows no sign of Discord may simply still be queued at the bot.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.discord.errors import DiscordError
from app.domain.results import CLIP_MESSAGES
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.worker import adoption
from app.worker import video_translate as video
from app.worker.context import RunnerContext
from app.worker.follow import Follower
from app.worker.submit import Submitter
from app.worker.video_clips import fetch_clips
from db import leasing

log = logging.getLogger(__name__)

MAX_SUBMIT_ATTEMPTS = 2
HISTORY_PAGE = 100  # Discord's largest page of channel messages
CLIP_HISTORY_PAGES = 10  # a video's clips are looked for up to 1,000 messages after its grid


class Recovery:
    def __init__(
        self,
        ctx: RunnerContext,
        follower: Follower,
        submitter: Submitter,
        *,
        timeout_s: float,
        grace_s: float,
    ) -> None:
        self._ctx = ctx
        self._follower = follower
        self._submitter = submitter
        self._timeout_s = timeout_s
        self._grace_s = grace_s

    async def recover(self) -> None:
        """Adopt this account's in-flight tasks; find out from Discord where each one stands."""
        async with self._ctx.engine.begin() as conn:
            rows = await leasing.adopt_tasks(
                conn,
                account_id=self._ctx.account.id,
                owner=self._ctx.account.owner,
                fence=self._ctx.account.fence,
            )
        if not rows:
            return
        log.info(
            "adopting in-flight tasks",
            extra={
                "account": self._ctx.account.id,
                "fence": self._ctx.account.fence,
                "tasks": len(rows),
            },
        )
        unsent: list[Task] = []
        awaiting_clips: list[str] = []
        for row in rows:
            task = Task.from_row(row)
            started = (task.start_time or self._ctx.clock() * 1000) / 1000
            self._ctx.tasks.hold(task, started + self._timeout_s)
            if task.nonce is None:
                unsent.append(task)  # leased, never sent: nothing on Discord to find
                continue
            adoption.adopt(self._ctx.correlator, task, task.nonce, started)
            if video.awaits_clips(task):
                awaiting_clips.append(task.id)
        await self._replay_recent_messages()
        for task in unsent:
            self._ctx.spawn(self._submitter.submit(task))
        for task_id in awaiting_clips:
            await self._replay_clip_history(task_id)
            self._resume_clips(task_id)
        self._ctx.spawn(self._resubmit_lost())

    async def resync(self) -> None:
        """After a new session: tie the gap's messages to the jobs this runner already drives."""
        sent = 0
        for record in self._ctx.tasks:
            task = record.task  # the row as this runner last wrote it (its fenced writes only)
            if task.nonce is None:
                continue  # its submit is under way and tracks it itself
            started = (task.start_time or self._ctx.clock() * 1000) / 1000
            # Keeps what the tracked job learned (interaction ids, messages) and adds the row's.
            adoption.adopt(self._ctx.correlator, task, task.nonce, started)
            sent += 1
        log.info(
            "new gateway session; replaying the channel",
            extra={"account": self._ctx.account.id, "tasks": sent},
        )
        if sent:
            await self._replay_recent_messages()

    async def _replay_recent_messages(self) -> None:
        """Messages the old owner missed, oldest first, as if they arrived now."""
        try:
            messages = await self._ctx.link.recent_messages(adoption.RECENT_MESSAGES)
        except DiscordError as exc:
            log.warning(
                "could not read recent messages: %s", exc, extra={"account": self._ctx.account.id}
            )
            return
        ordered = sorted(messages, key=lambda m: int(m.get("id", 0)))
        recorded_grids = {r.task.message_id for r in self._ctx.tasks if video.awaits_clips(r.task)}
        # A grid already recorded changes nothing, and following it again would end its job in
        # the correlator before the clips that reply to it are replayed.
        ordered = [m for m in ordered if m.get("id") not in recorded_grids]
        events = [self._ctx.link.parse_message(message) for message in ordered]
        await adoption.settle_replay(self._ctx.engine, self._ctx.correlator, events)
        for event in events:
            await self._follower.on_bot_event(event)

    async def _replay_clip_history(self, task_id: str) -> None:
        """The clips that reply to a video's grid, paged forward from the grid: a grid older
        than the recent messages replayed still finds the clips posted after it (at most
        `CLIP_HISTORY_PAGES` pages; a clip not found is pressed again)."""
        record = self._ctx.tasks.get(task_id)
        grid = record.task.message_id if record is not None else None
        after = grid
        for _page in range(CLIP_HISTORY_PAGES):
            record = self._ctx.tasks.get(task_id)
            if after is None or record is None or record.finishing:
                return
            if not video.missing_clip_buttons(record.task):
                return
            try:
                page = await self._ctx.link.messages_after(after, HISTORY_PAGE)
            except DiscordError as exc:
                log.warning("could not page the channel's history: %s", exc)
                return
            ordered = sorted(page, key=lambda m: int(m.get("id", 0)))
            for message in ordered:
                if (message.get("message_reference") or {}).get("message_id") == grid:
                    await self._replay_clip(task_id, message)
            if len(page) < HISTORY_PAGE:
                return
            after = str(ordered[-1].get("id"))

    async def _replay_clip(self, task_id: str, message: dict[str, Any]) -> None:
        """One reply to the grid, unless the task has it already. Each clip is a final message
        of the same job: the job is opened again for it (the live runner does so per press)."""
        record = self._ctx.tasks.get(task_id)
        if record is None or message.get("id") in (record.task.prop(CLIP_MESSAGES) or {}).values():
            return
        job = self._ctx.correlator.get(task_id)
        if job is not None:
            job.done = False
        await self._follower.on_bot_event(self._ctx.link.parse_message(message))

    def _resume_clips(self, task_id: str) -> None:
        """A video adopted between its grid and its clips: press the clips the channel lacks.

        The old owner may have pressed them already; a clip still being made then comes twice,
        and the second changes nothing. Without the press it would never come."""
        record = self._ctx.tasks.get(task_id)
        if record is None or record.finishing:
            return  # gone, or its last clip came and is being recorded
        missing = video.missing_clip_buttons(record.task)
        if missing:
            log.info("resuming a video's clips", extra={"task": task_id, "clips": len(missing)})
            self._ctx.spawn(fetch_clips(self._ctx, record.task, missing))

    async def _resubmit_lost(self) -> None:
        """A task whose interaction never reached Discord is sent again, once, after a grace."""
        await asyncio.sleep(self._grace_s)
        for record in self._ctx.tasks:
            task = record.task
            if task.status != TaskStatus.STARTED or task.nonce is None:
                continue
            job = self._ctx.correlator.get(task.id)
            if job is not None and (job.interaction_ids or job.message_ids):
                continue  # Discord has seen it
            if task.submit_attempts >= MAX_SUBMIT_ATTEMPTS:
                reason = "the interaction could not be confirmed"
                await self._ctx.tasks.fail(task.id, reason, "submit_failed")
                continue
            log.info("resubmitting a task Discord never saw", extra={"task": task.id})
            self._ctx.correlator.forget(task.id)
            self._ctx.spawn(self._submitter.submit(task))
