"""Submitting a leased task: nonce recorded first, interaction built and sent, SUBMITTED recorded.

A submit that Discord refuses with a 4xx fails the task with Discord's message; one refused for
the account (401, 403) disables the account (`health`). A submit whose fate is unknown (5xx, a
read timeout) fails the task rather than resending it: the bot might run it twice.

A submit runs beside the runner and never ends by an exception: one raised before the
interaction could go out (the database refused a connection, a file could not be read) puts the
task back in the queue, retried until that write succeeds; one raised while sending fails it
(its fate is unknown); one after Discord took it leaves the task to the follower (its messages
settle it) and the runner's timeout. Otherwise a leased task would sit unsent until the timeout.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import taskstore
from app.discord.errors import DiscordError, DiscordLocalError, InvalidFormBody
from app.discord.rest import UploadFile
from app.domain.images import sniff_image_type
from app.domain.speed import with_mode_flag
from app.domain.status import TaskStatus
from app.domain.task import Task
from app.worker import interactions
from app.worker.context import RunnerContext
from app.worker.controls import AccountControls
from app.worker.health import (
    REFUSING_ACCOUNT,
    AccountHealth,
    requeue_values,
    submit_refused_reason,
)
from db import leasing, task_file_rows

log = logging.getLogger(__name__)

PUT_BACK_RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # then every 30 s while the task is held


async def task_files(engine: AsyncEngine, task: Task, role: str = "input") -> list[UploadFile]:
    """The files a client gave the task (`input` images, a Vary (Region) `mask`)."""
    rows = await task_file_rows.read_task_files(engine, task.id, role)
    return [
        UploadFile(
            row["name"],
            bytes(row["data"]),
            sniff_image_type(bytes(row["data"])) or "application/octet-stream",
        )
        for row in rows
    ]


MAX_MODE_SWITCH_FAILURES = 3


def _in_mode(task: Task, mode: str) -> Task:
    """The task as sent: a speed flag in its prompt says the mode it runs in (the flag would win
    over the account's mode: a `--fast` left in a prompt run in relax would meet "Credits
    exhausted")."""
    return task.replace(
        prompt=with_mode_flag(task.prompt, mode),
        prompt_en=with_mode_flag(task.prompt_en, mode) if task.prompt_en else task.prompt_en,
    )


def _back_to_queue(task: Task) -> dict[str, Any]:
    """A follow-up stays on this account, the only one that can press its parent's buttons."""
    if task.parent_id is not None:
        return {"status": TaskStatus.PENDING, "nonce": None}
    return requeue_values()


@dataclass
class _Attempt:
    # "prepare" → "send" while the interaction may go out → "sent" once Discord took it
    stage: str = "prepare"


class Submitter:
    def __init__(
        self, ctx: RunnerContext, health: AccountHealth, controls: AccountControls
    ) -> None:
        self._ctx = ctx
        self._health = health
        self._controls = controls

    async def _build(self, task: Task, nonce: str) -> interactions.Submission:
        ctx = self._ctx.link.context()
        if interactions.is_follow_up(task):
            parent = await taskstore.get_task(self._ctx.engine, str(task.parent_id))
            if parent is None:
                raise interactions.CannotSubmit("the parent task no longer exists")
            return interactions.follow_up(ctx, task, parent, nonce)
        files = await task_files(self._ctx.engine, task)
        index = await self._ctx.link.command_index()
        if task.action in ("IMAGINE", "ANIMATE") and files:
            links = await self._ctx.link.post_images(files)
            return interactions.slash(ctx, task, index, nonce, image_links=links)
        uploads = await self._ctx.link.upload(files) if files else []
        return interactions.slash(ctx, task, index, nonce, uploads=uploads)

    async def submit(self, task: Task) -> None:
        """Send a leased task; never raises (see the module's docstring)."""
        attempt = _Attempt()
        try:
            await self._submit(task, attempt)
        except Exception as exc:
            log.exception("submit failed", extra={"task": task.id, "account": self._ctx.account.id})
            if attempt.stage == "prepare":
                await self._put_back(task, f"not sent: {type(exc).__name__}: {exc}")
            elif attempt.stage == "send":
                reason = f"Discord did not accept the interaction: {type(exc).__name__}"
                await self._quietly(self._ctx.tasks.fail(task.id, reason, "submit_failed"))

    async def _submit(self, task: Task, attempt: _Attempt) -> None:
        mode = await self._controls.ensure_mode(task)
        if mode is None:
            await self._not_here(task)
            return
        task = _in_mode(task, mode)
        nonce = self._ctx.nonces.next(self._ctx.clock())
        attempts = await leasing.mark_submitting(
            self._ctx.engine,
            task_id=task.id,
            owner=self._ctx.account.owner,
            fence=self._ctx.account.fence,
            nonce=nonce,
        )
        if attempts is None:
            self._ctx.tasks.forget(task.id)
            return
        try:
            await self._send(task, nonce, attempt)
        except (interactions.CannotSubmit, DiscordLocalError) as exc:
            await self._ctx.tasks.fail(task.id, str(exc), "submit_failed")
            return
        except REFUSING_ACCOUNT as exc:
            await self._health.disable(submit_refused_reason(exc))
            return
        except DiscordError as exc:
            # We cannot know whether it went out; failing is honest, resubmitting might double it.
            reason = f"Discord did not accept the interaction: {exc}"
            await self._ctx.tasks.fail(task.id, reason, "submit_failed")
            return
        attempt.stage = "sent"
        await self._record_submitted(task.id, nonce, mode, self._mode_note(task, mode))

    def _mode_note(self, task: Task, mode: str) -> str | None:
        acceptable = task.mode_request().acceptable()
        if acceptable is not None and mode not in acceptable:
            return f"no fast time left on any account: ran in {mode} (MJRELAY_FAST_FALLBACK_RELAX)"
        return None

    async def _not_here(self, task: Task) -> None:
        """The account cannot run the task in a mode it accepts (out of fast time, or a mode
        switch that got no answer): back to the queue for another account, or for this one
        later. A mode switch that keeps failing fails the task."""
        failures = int(task.params.get("_modeSwitchFailures", 0))
        if not self._controls.fast_exhausted:
            failures += 1
            if failures >= MAX_MODE_SWITCH_FAILURES:
                reason = f"the account did not switch to the mode the task needs ({failures} tries)"
                await self._ctx.tasks.fail(task.id, reason, "submit_failed")
                return
        async with self._ctx.tasks.lock(task.id):
            values = _back_to_queue(task)
            values["params"] = {**task.params, "_modeSwitchFailures": failures}
            data = {"reason": f"account {self._ctx.account.id} cannot run it in a mode it accepts"}
            await self._ctx.tasks.record(task.id, values, "requeued", data)

    async def _put_back(self, task: Task, reason: str) -> None:
        """Back to the queue (nothing went out), retried while the runner still holds the task:
        the write that failed may fail again for a while."""
        data = {"reason": f"account {self._ctx.account.id}: {reason}"[:500]}
        values = _back_to_queue(task)
        for tries in itertools.count():
            if task.id not in self._ctx.tasks:
                return  # settled meanwhile (its timeout, the account out of service)
            try:
                async with self._ctx.tasks.lock(task.id):
                    if task.id in self._ctx.tasks:
                        await self._ctx.tasks.record(task.id, values, "requeued", data)
                return
            except Exception:
                log.exception("submit: task not put back yet", extra={"task": task.id})
            await asyncio.sleep(PUT_BACK_RETRY_S[min(tries, len(PUT_BACK_RETRY_S) - 1)])

    async def _quietly(self, write: Awaitable[None]) -> None:
        try:
            await write
        except Exception:  # the runner's timeout settles the task
            log.exception("submit: failure not recorded", extra={"account": self._ctx.account.id})

    async def _send(self, task: Task, nonce: str, attempt: _Attempt) -> None:
        submission = await self._build(task, nonce)
        self._ctx.correlator.track(
            task.id,
            nonce=nonce,
            now=self._ctx.clock(),
            prompt=task.prompt_en or task.prompt or None,
            parent_message_id=submission.parent_message_id,
            index=submission.index,
        )
        attempt.stage = "send"
        try:
            await self._ctx.link.send(submission.payload)
        except InvalidFormBody:
            if interactions.is_follow_up(task):
                raise
            # Midjourney re-registered its commands: a stale version is refused (400, never
            # run). Take the current index and send the same job once more.
            attempt.stage = "prepare"  # refused: it will not run
            await self._ctx.link.command_index(refresh=True)
            submission = await self._build(task, nonce)
            attempt.stage = "send"
            await self._ctx.link.send(submission.payload)

    async def _record_submitted(
        self, task_id: str, nonce: str, mode: str, note: str | None
    ) -> None:
        async with self._ctx.tasks.lock(task_id):
            record = self._ctx.tasks.get(task_id)
            if record is None or record.task.status != TaskStatus.STARTED:
                return
            values: dict[str, Any] = {"status": TaskStatus.SUBMITTED, "mode": mode}
            data: dict[str, Any] = {"nonce": nonce, "mode": mode}
            if note:
                data["note"] = note
            job = self._ctx.correlator.get(task_id)
            if job is not None and job.last_interaction_id:
                # INTERACTION_CREATE often beats the 204: keep its id for a crash recovery.
                values["interaction_id"] = job.last_interaction_id
            await self._ctx.tasks.record(task_id, values, "submitted", data)
