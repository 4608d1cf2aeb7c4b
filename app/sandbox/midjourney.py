"""The simulated Midjourney bot: routes interactions to commands, clicks, modals and errors.

Order of events for every interaction, as on Discord:
INTERACTION_CREATE -> INTERACTION_SUCCESS (or FAILURE / captcha iframe) -> bot messages.
"""

from __future__ import annotations

from typing import Any

from app.sandbox.bot_flags import prompt_of, read_flags
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import MIDJOURNEY, BotIdentity
from app.sandbox.mj_actions import Actions
from app.sandbox.mj_commands import Commands
from app.sandbox.mj_jobs import JobRunner
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Job, Memory, Result

Json = dict[str, Any]


class MidjourneyBot:
    """Midjourney, or another bot of its protocol (niji・journey) by `identity`."""

    def __init__(self, ctx: BotContext, identity: BotIdentity = MIDJOURNEY) -> None:
        self.ctx = ctx
        self.identity = identity
        self.memory = Memory()
        self.respond = Respond(ctx, identity)
        runner = JobRunner(ctx, self.respond, self.memory)
        self.commands = Commands(ctx, self.respond, runner, self.memory)
        self.actions = Actions(ctx, self.respond, runner, self.commands, self.memory)

    @property
    def results(self) -> dict[str, Result]:
        """Finished images by job hash (what tests compare task results against)."""
        return self.memory.results

    @property
    def running(self) -> dict[str, Job]:
        return self.memory.running

    def accept(self, it: Interaction) -> None:
        self.ctx.spawn(self.handle(it))

    def has_modal(self, interaction_id: str, user_id: str, custom_id: str) -> bool:
        modal = self.memory.modals.get(interaction_id)
        return modal is not None and modal.user_id == user_id and modal.custom_id == custom_id

    def submit_inpaint(self, payload: Json) -> tuple[int, Json]:
        """`POST /inpaint/api/submit-job`: (status, body)."""
        return self.actions.editor.submit(payload)

    async def handle(self, it: Interaction) -> None:
        flags = read_flags(self.ctx, it)
        respond = self.respond
        respond.event("INTERACTION_CREATE", it)
        if flags.failure:
            await self.ctx.speed.pause(self.ctx.speed.start_delay)
            respond.event("INTERACTION_FAILURE", it, reason_code=2)
            return
        if it.state.captcha and not _is_moderation_click(it):
            respond.event("INTERACTION_SUCCESS", it)
            respond.captcha(it)
            return
        respond.event("INTERACTION_SUCCESS", it)
        if flags.silent:
            return
        if flags.bad_flag:
            respond.error(it, "invalid_parameter", description=flags.bad_flag)
        elif flags.error == "captcha":
            respond.captcha(it)
        elif flags.error:
            respond.error(it, flags.error, footer=f"/imagine {prompt_of(it).raw}")
        elif it.type == 2:
            await self.commands.run(it, flags)
        elif it.type == 3:
            await self.actions.click(it, flags)
        else:
            await self.actions.modal_submit(it, flags)


def _is_moderation_click(it: Interaction) -> bool:
    return it.type == 3 and it.custom_id.startswith("MJ::Prompts::")
