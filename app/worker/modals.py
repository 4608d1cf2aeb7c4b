"""Modals the bot opens for a task, answered with what the client gave.

Custom Zoom / PicReader open a form: it is submitted with the client's prompt. Vary (Region)
opens the editor in an iframe: the client's mask and prompt go to the editor's backend.
"""

from __future__ import annotations

from app.discord import commands
from app.discord.errors import DiscordError
from app.discord.events import IframeModalOpened, ModalOpened
from app.domain.task import Task
from app.worker.context import RunnerContext
from app.worker.submit import task_files


class ModalAnswers:
    def __init__(self, ctx: RunnerContext) -> None:
        self._ctx = ctx

    async def answer(self, task_id: str, event: ModalOpened | IframeModalOpened) -> None:
        record = self._ctx.tasks.get(task_id)
        if record is None:
            return
        task = record.task
        prompt = task.params.get("modalPrompt") or task.params.get("prompt") or task.prompt
        if isinstance(event, IframeModalOpened):
            await self._answer_iframe(task, event, str(prompt or ""))
            return
        if not prompt or not event.fields:
            reason = "this action needs input the bot asked for in a modal"
            await self._ctx.tasks.fail(task_id, reason, "modal")
            return
        nonce = self._ctx.nonces.next(self._ctx.clock())
        self._ctx.correlator.track(task_id, nonce=nonce, now=self._ctx.clock())
        payload = commands.submit_modal(
            self._ctx.link.context(),
            modal_id=event.interaction_id,
            custom_id=event.custom_id,
            fields={event.fields[0].custom_id: str(prompt)},
            nonce=nonce,
            application_id=event.application_id or commands.MJ_APPLICATION_ID,
        )
        try:
            await self._ctx.link.send(payload)
        except DiscordError as exc:
            reason = f"Discord did not accept the modal: {exc}"
            await self._ctx.tasks.fail(task_id, reason, "submit_failed")

    async def _answer_iframe(self, task: Task, event: IframeModalOpened, prompt: str) -> None:
        masks = await task_files(self._ctx.engine, task, role="mask")
        if not masks:
            await self._ctx.tasks.fail(task.id, "Vary (Region) needs a mask", "modal")
            return
        try:
            await self._ctx.link.submit_inpaint(event.token, masks[0].data, prompt)
        except DiscordError as exc:
            reason = f"the Vary (Region) editor refused the mask: {exc}"
            await self._ctx.tasks.fail(task.id, reason, "modal")
