"""The account controls: /settings (and its buttons), /info, /fast /relax /turbo, /prefer.

Replies are ephemeral (flags 64), echo the nonce and name the command in `interaction` and
`interaction_metadata.name` (TA, NZ+ and ER match on that name). /settings and /info are posted
and then edited once (proxies act on the MESSAGE_UPDATE), with the full content on both.
"""

from __future__ import annotations

import re
from typing import Any

from app.sandbox.context import BotContext
from app.sandbox.interactions import Interaction
from app.sandbox.messages import DESCRIBE_COLOUR, embed, message
from app.sandbox.mj_panel import (
    apply_setting,
    info_description,
    settings_components,
    settings_content,
)
from app.sandbox.mj_respond import Respond
from app.sandbox.mj_state import Memory
from app.sandbox.prompts import parameter_error, parse_prompt
from app.sandbox.snowflake import snowflake_timestamp

Json = dict[str, Any]
MODE_REPLIES = {
    "fast": "Done! Your jobs now use fast-hours. You can switch to relax mode with /relax",
    "relax": "Done! Your jobs now do not consume fast-hours, but might take a little longer. "
    "You can always switch back with /fast",
    "turbo": "Done! Turbo mode is on: your jobs run faster and use twice the fast-hours. "
    "You can switch back with /fast",
}
REMIX_ON = (
    "Remix mode turned on! Clicking the variation buttons will now give you a chance to edit "
    "your prompt! You can always turn this off by running `/prefer remix` again."
)
REMIX_OFF = "Remix mode turned off! Clicking the variation buttons will now start a job at once."
OPTION_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_SUFFIX = 500
MAX_OPTIONS = 50


class Controls:
    def __init__(self, ctx: BotContext, respond: Respond, memory: Memory) -> None:
        self.ctx = ctx
        self.respond = respond
        self.memory = memory

    def run(self, it: Interaction) -> bool:
        """Answer an account-control command; False when `it` is not one."""
        if it.command == "settings":
            self._post(it, "settings", settings_content(it.prefs.profile),
                       components=settings_components(it.prefs), edit=True)  # fmt: skip
        elif it.command == "info":
            self._post(it, "info", "", embeds=[self._info_embed(it)], edit=True)
        elif it.command in MODE_REPLIES:
            self._switch_mode(it)
        elif it.command == "prefer":
            self._prefer(it)
        else:
            return False
        return True

    def press(self, it: Interaction) -> None:
        """A settings button or the version select: change the account, edit the panel."""
        values = [str(value) for value in it.data.get("values") or []]
        if it.custom_id.endswith(("::FastMode", "::TurboMode")) and it.state.out_of_fast_time:
            self.respond.error(it, "credits_exhausted")  # as /fast and /turbo
            return
        if it.message is None or not apply_setting(it.prefs, it.custom_id, values):
            self.respond.error(it, "failed")
            return
        edited = _edit_of(it.message)
        edited.update(
            content=settings_content(it.prefs.profile),
            components=settings_components(it.prefs),
            edited_timestamp=snowflake_timestamp(self.ctx.new_id()),
        )
        self.ctx.messenger().update(edited, it.user_id)

    def _info_embed(self, it: Interaction) -> Json:
        user_id = it.user_id
        queued = {"fast": 0, "relax": 0}
        for job in self.memory.queued.values():
            if job.user_id == user_id:
                queued["relax" if job.relaxed else "fast"] += 1
        running = [h for h, job in self.memory.running.items() if job.user_id == user_id]
        text = info_description(it.state, queued, running, it.prefs)
        return embed("Your info", text, DESCRIBE_COLOUR)

    def _switch_mode(self, it: Interaction) -> None:
        if it.command != "relax" and it.state.out_of_fast_time:
            self.respond.error(it, "credits_exhausted")  # no fast time to switch to
            return
        it.prefs.mode = it.command
        self._post(it, it.command, MODE_REPLIES[it.command])

    def _prefer(self, it: Interaction) -> None:
        sub: Json = next(iter(it.data.get("options") or []), {})
        name = str(sub.get("name", ""))
        inner = {str(o.get("name")): o for o in sub.get("options") or []}
        profile = it.prefs.profile
        if name == "remix":
            it.prefs.remix = not it.prefs.remix
            self._post(it, "prefer remix", REMIX_ON if it.prefs.remix else REMIX_OFF)
        elif name == "suffix":
            value = str(inner.get("new_value", {}).get("value", "")).strip()
            problem = parameter_error(parse_prompt(value)) if value else None
            if problem or len(value) > MAX_SUFFIX:
                self.respond.error(it, "invalid_parameter", problem or "Suffix too long.")
                return
            profile.suffix = value
            text = f"Suffix set to `{value}`." if value else "Suffix removed."
            self._post(it, "prefer suffix", text)
        elif name == "option":
            self._prefer_option(it, sub)
        else:
            self.respond.error(it, "failed")

    def _prefer_option(self, it: Interaction, group: Json) -> None:
        sub: Json = next(iter(group.get("options") or []), {})
        action = str(sub.get("name", ""))
        given = {str(o.get("name")): str(o.get("value", "")) for o in sub.get("options") or []}
        options = it.prefs.profile.options
        if action == "list":
            lines = [f"`--{key}` = `{value}`" for key, value in sorted(options.items())]
            text = (
                "\n".join(["Your custom options:", *lines])
                if lines
                else ("You have no custom options.")
            )
            self._post(it, "prefer option list", text)
            return
        option = given.get("option", "").strip().lower().removeprefix("--")
        value = given.get("value", "").strip()
        problem = parameter_error(parse_prompt(value)) if value else None
        if action != "set" or not OPTION_NAME.match(option) or problem or len(value) > MAX_SUFFIX:
            self.respond.error(it, "invalid_parameter", problem or "Invalid option name.")
            return
        if not value:
            options.pop(option, None)
            self._post(it, "prefer option set", f"Custom option `--{option}` deleted.")
        elif option not in options and len(options) >= MAX_OPTIONS:
            self.respond.error(it, "invalid_parameter", f"At most {MAX_OPTIONS} custom options.")
        else:
            options[option] = value
            self._post(it, "prefer option set", f"Custom option `--{option}` set to `{value}`.")

    def _post(
        self,
        it: Interaction,
        command: str,
        content: str,
        embeds: list[Json] | None = None,
        components: list[Json] | None = None,
        edit: bool = False,
    ) -> None:
        """An ephemeral reply echoing the nonce; with `edit`, then edited once (same content)."""
        origin, bot = it.origin(command=command), self.respond.bot
        reply = message(
            id=self.ctx.new_id(), type=20, channel_id=it.channel_id, guild_id=it.guild_id,
            author=bot.user, content=content, mentions=[it.state.account.user()], embeds=embeds,
            components=components, flags=64, application_id=bot.application_id, nonce=it.nonce,
            interaction=origin.interaction(), interaction_metadata=origin.metadata(named=True),
            webhook_id=bot.application_id,
        )  # fmt: skip
        self.ctx.messenger().create(reply, it.user_id)
        if edit:
            edited = _edit_of(reply)
            edited["edited_timestamp"] = snowflake_timestamp(self.ctx.new_id())
            self.ctx.messenger().update(edited, it.user_id)


def _edit_of(posted: Json) -> Json:
    """A bot message as its edit carries it (no nonce, no webhook_id, like the job updates)."""
    return {key: value for key, value in posted.items() if key not in ("nonce", "webhook_id")}
