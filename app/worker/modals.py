"""Modals the bot opens for a task, answered with what the client gave.

Custom Zoom / PicReader open a form: it is submitted with the client's prompt. Vary (Region)
opens the editor in an iframe: the client's mask and prompt go to the editor's backend.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.discord import commands
from app.discord.correlation import Correlator
from app.discord.errors import DiscordError
from app.discord.events import IframeModalOpened, ModalOpened
from app.domain.task import Task
from app.worker.inflight import InFlightTasks
from app.worker.link import DiscordLink
from app.worker.submit import Nonces, task_files


class ModalAnswers:
    def __init__(
        self,
        engine: AsyncEngine,
        link: DiscordLink,
        tasks: InFlightTasks,
        correlator: Correlator,
        nonces: Nonces,
        clock: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._link = link
        self._tasks = tasks
        self._correlator = correlator
        self._nonces = nonces
        self._clock = clock

    async def answer(self, task_id: str, event: ModalOpened | IframeModalOpened) -> None:
        record = self._tasks.get(task_id)
        if record is None:
            return
        task = record.task
        prompt = task.params.get("modalPrompt") or task.params.get("prompt") or task.prompt
        if isinstance(event, IframeModalOpened):
            await self._answer_iframe(task, event, str(prompt or ""))
            return
        if not prompt or not event.fields:
            reason = "this action needs input the bot asked for in a modal"
            await self._tasks.fail(task_id, reason, "modal")
            return
        nonce = self._nonces.next(self._clock())
        self._correlator.track(task_id, nonce=nonce, now=self._clock())
        payload = commands.submit_modal(
            self._link.context(),
            modal_id=event.interaction_id,
            custom_id=event.custom_id,
            fields={event.fields[0].custom_id: str(prompt)},
            nonce=nonce,
            application_id=event.application_id or commands.MJ_APPLICATION_ID,
        )
        try:
            await self._link.send(payload)
        except DiscordError as exc:
            reason = f"Discord did not accept the modal: {exc}"
            await self._tasks.fail(task_id, reason, "submit_failed")

    async def _answer_iframe(self, task: Task, event: IframeModalOpened, prompt: str) -> None:
        masks = await task_files(self._engine, task, role="mask")
        if not masks:
            await self._tasks.fail(task.id, "Vary (Region) needs a mask", "modal")
            return
        try:
            await self._link.submit_inpaint(event.token, masks[0].data, prompt)
        except DiscordError as exc:
            reason = f"the Vary (Region) editor refused the mask: {exc}"
            await self._tasks.fail(task.id, reason, "modal")
