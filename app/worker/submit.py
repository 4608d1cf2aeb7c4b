"""Submitting a leased task: nonce recorded first, interaction built and sent, SUBMITTED recorded.

A submit that Discord refuses with a 4xx fails the task with Discord's message; one refused for
the account (401, 403) disables the account (`health`). A submit whose fate is unknown (5xx, a
read timeout) fails the task rather than resending it: the bot might run it twice.
"""

from __future__ import annotations

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
from db import leasing
from db import tasks as task_queries


async def task_files(engine: AsyncEngine, task: Task, role: str = "input") -> list[UploadFile]:
    """The files a client gave the task (`input` images, a Vary (Region) `mask`)."""
    async with engine.connect() as conn:
        rows = await task_queries.list_task_files(conn, task.id, role)
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
        mode = await self._controls.ensure_mode(task)
        if mode is None:
            await self._not_here(task)
            return
        task = _in_mode(task, mode)
        nonce = self._ctx.nonces.next(self._ctx.clock())
        async with self._ctx.engine.begin() as conn:
            attempts = await leasing.mark_submitting(
                conn,
                task_id=task.id,
                owner=self._ctx.account.owner,
                fence=self._ctx.account.fence,
                nonce=nonce,
            )
        if attempts is None:
            self._ctx.tasks.forget(task.id)
            return
        try:
            await self._send(task, nonce)
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
            pinned = task.parent_id is not None
            values: dict[str, Any] = (
                {"status": TaskStatus.PENDING, "nonce": None} if pinned else requeue_values()
            )
            values["params"] = {**task.params, "_modeSwitchFailures": failures}
            data = {"reason": f"account {self._ctx.account.id} cannot run it in a mode it accepts"}
            await self._ctx.tasks.record(task.id, values, "requeued", data)

    async def _send(self, task: Task, nonce: str) -> None:
        submission = await self._build(task, nonce)
        self._ctx.correlator.track(
            task.id,
            nonce=nonce,
            now=self._ctx.clock(),
            prompt=task.prompt_en or task.prompt or None,
            parent_message_id=submission.parent_message_id,
            index=submission.index,
        )
        try:
            await self._ctx.link.send(submission.payload)
        except InvalidFormBody:
            if interactions.is_follow_up(task):
                raise
            # Midjourney re-registered its commands: a stale version is refused (400, never
            # run). Take the current index and send the same job once more.
            await self._ctx.link.command_index(refresh=True)
            submission = await self._build(task, nonce)
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
