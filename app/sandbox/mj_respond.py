"""The Midjourney bot's answers that start no job: interaction events, errors, notices, captcha.

Also the gates a job passes first (account state, prompt checks), which answer with an error.
"""

from __future__ import annotations

from typing import Any

from app.sandbox.components import acknowledge_components, appeal_components
from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import BotIdentity, Origin, message
from app.sandbox.mj_replies import (
    BOT_ERROR_TEXT,
    CAPTCHA_TITLE,
    FAILED_CONTENT,
    error_message,
    iframe_modal_create,
    modal_create,
)
from app.sandbox.prompts import Prompt, banned_word, parameter_error

Json = dict[str, Any]


class Respond:
    def __init__(self, ctx: BotContext, bot: BotIdentity) -> None:
        self.ctx = ctx
        self.bot = bot  # who answers: Midjourney or niji

    def event(self, event: str, it: Interaction, **extra: Any) -> None:
        """INTERACTION_CREATE / SUCCESS / FAILURE for this interaction."""
        self.ctx.emit(event, {"id": it.id, "nonce": it.nonce, **extra}, it.user_id, it.session_id)

    def error(
        self,
        it: Interaction,
        name: str,
        description: str | None = None,
        origin: Origin | None = None,
        footer: str | None = None,
    ) -> None:
        origin = origin or it.origin()
        components = None
        if name in ("pending_mod", "action_needed"):
            token = self.ctx.new_uuid().replace("-", "")
            it.state.moderation_tokens.add(token)
            make = acknowledge_components if name == "pending_mod" else appeal_components
            components = make(token)
        title, default = BOT_ERROR_TEXT.get(name, (None, FAILED_CONTENT))
        reply = error_message(
            bot=self.bot, id=self.ctx.new_id(), origin=origin, channel_id=it.channel_id,
            title=title, description=description or default, footer=footer, components=components,
            content=FAILED_CONTENT if title is None else "",
        )  # fmt: skip
        self.ctx.messenger().create(reply, it.user_id)

    def notice(self, it: Interaction, content: str, embeds: list[Json] | None = None) -> None:
        """An ephemeral plain answer ("Done! Your jobs now use relax mode.")."""
        origin = it.origin()
        reply = message(
            id=self.ctx.new_id(), type=20, channel_id=it.channel_id, guild_id=it.guild_id,
            author=self.bot.user, content=content, mentions=[it.state.account.user()],
            embeds=embeds, flags=64, application_id=self.bot.application_id, nonce=it.nonce,
            interaction=origin.interaction(), interaction_metadata=origin.metadata(),
        )  # fmt: skip
        self.ctx.messenger().create(reply, it.user_id)

    def captcha(self, it: Interaction) -> None:
        token = self.ctx.new_uuid().replace("-", "")
        self.iframe(it, token, CAPTCHA_TITLE, f"/captcha/embedded/{token}")

    def iframe(self, it: Interaction, token: str, title: str, path: str) -> None:
        """INTERACTION_IFRAME_MODAL_CREATE `MJ::iframe::<token>` (captcha, Vary (Region))."""
        data = iframe_modal_create(self.bot, it.id, it.nonce, it.channel_id, token, title, path)
        self.ctx.emit("INTERACTION_IFRAME_MODAL_CREATE", data, it.user_id, it.session_id)

    def modal(
        self, it: Interaction, custom_id: str, title: str, field: str, label: str, value: str
    ) -> None:
        """INTERACTION_MODAL_CREATE (its `id` and nonce are the click's)."""
        data = modal_create(
            self.bot, it.id, it.nonce, it.channel_id, custom_id, title, field, label, value
        )
        self.ctx.emit("INTERACTION_MODAL_CREATE", data, it.user_id, it.session_id)

    def account_gate(self, it: Interaction, relaxed: bool, origin: Origin | None = None) -> bool:
        """False (after replying) when the account may not start a job now."""
        state = it.state
        if state.blocked:
            self.error(it, "blocked", origin=origin)
        elif state.pending_mod:
            self.error(it, "pending_mod", origin=origin)
        elif state.out_of_fast_time and not relaxed:
            self.error(it, "credits_exhausted", origin=origin)
        else:
            return True
        return False

    def prompt_ok(self, it: Interaction, prompt: Prompt, origin: Origin | None = None) -> bool:
        """False (after replying) for an empty, malformed or banned prompt."""
        footer = f"/imagine {prompt.raw}"
        if not prompt.text and not prompt.image_urls:
            self.error(it, "empty_prompt", origin=origin, footer=footer)
            return False
        problem = parameter_error(prompt)
        if problem:
            self.error(it, "invalid_parameter", problem, origin=origin, footer=footer)
            return False
        if banned_word(prompt):
            it.state.strikes += 1
            self.error(it, "banned_prompt", origin=origin, footer=footer)
            return False
        return True
