"""Modals the bot opens for a task, answered with what the client gave.

Custom Zoom / PicReader open a form: it is submitted with the client's prompt. Vary (Region)
opens the editor in an iframe: the client's mask and prompt go to the editor's backend.

Remix (spec v2 §2): with remix on, V1–V4, Vary, reroll and pan open a prompt form. It is
submitted at once with the task's prompt when the task (`remix_auto`) or else the account
(`accounts.remix_auto`) says so; otherwise the task waits in MODAL with `finalPrompt` (novicezk
code 21) until the client confirms through `/mj/submit/modal`, which queues it again with the
prompt (`modalPrompt`) on this account: the button is pressed again and the form answered.
"""

from __future__ import annotations

from app.discord import commands
from app.discord.custom_ids import is_remix_modal
from app.discord.errors import DiscordError
from app.discord.events import IframeModalOpened, ModalOpened
from app.domain.status import TaskStatus
from app.domain.task import PINNED_ACCOUNT, Task
from app.worker.context import RunnerContext
from app.worker.submit import task_files
from db import account_state


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
        if is_remix_modal(event.custom_id) and "modalPrompt" not in task.params:
            prompt = task.prompt or (event.fields[0].value if event.fields else None)
            if not await self._auto_submits(task):
                await self._wait_for_client(task, str(prompt or ""))
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

    async def _auto_submits(self, task: Task) -> bool:
        if task.remix_auto is not None:
            return task.remix_auto
        async with self._ctx.engine.connect() as conn:
            state = await account_state.get_account_state(conn, self._ctx.account.id)
        return bool(state["remix_auto"]) if state is not None else True

    async def _wait_for_client(self, task: Task, prompt: str) -> None:
        """MODAL with the prompt to confirm; the slot is freed and the account kept in params."""
        async with self._ctx.tasks.lock(task.id):
            values = {
                "status": TaskStatus.MODAL,
                "final_prompt": prompt,
                "account_id": None,
                "params": {**task.params, PINNED_ACCOUNT: self._ctx.account.id},
                "properties": {**task.properties, "finalPrompt": prompt, "remix": True},
            }
            await self._ctx.tasks.record(task.id, values, "remix_modal", {"prompt": prompt})
        self._ctx.tasks.forget(task.id)

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
