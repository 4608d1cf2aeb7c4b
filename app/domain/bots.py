"""Which bot runs a new task: Midjourney, niji・journey or Pika (pure).

novicezk/trueai clients choose niji with `botType: "NIJI_JOURNEY"` (or `"niji"`); with
`MJRELAY_NIJI_FROM_PROMPT` a Midjourney prompt naming `--niji` goes to the niji bot too (the
way novicezk's own routing sends it). Pika tasks are Pika's whatever they say.
"""

from __future__ import annotations

import dataclasses
import re

from app.domain.actions import Bot
from app.domain.commands import CreateTask

MID_JOURNEY = "MID_JOURNEY"
NIJI_JOURNEY = "NIJI_JOURNEY"
_NIJI_FLAG = re.compile(r"(?:^|\s)--niji(?:\s|$)", re.IGNORECASE)


def names_niji(prompt: str) -> bool:
    """The prompt carries a `--niji` parameter (with or without a version)."""
    return _NIJI_FLAG.search(prompt or "") is not None


def bot_type_of(bot: str) -> str:
    """novicezk's `botType` for a task of `bot`."""
    return NIJI_JOURNEY if bot == Bot.NIJI else MID_JOURNEY


def choose_bot(cmd: CreateTask, *, niji_from_prompt: bool) -> CreateTask:
    """`cmd` with the bot that runs it and its `botType`."""
    if cmd.bot == Bot.PIKA:
        return cmd
    asked = cmd.extra.bot_type
    niji = asked == NIJI_JOURNEY or (asked is None and niji_from_prompt and names_niji(cmd.prompt))
    if not niji:
        return cmd
    extra = dataclasses.replace(cmd.extra, bot_type=NIJI_JOURNEY)
    return dataclasses.replace(cmd, bot=Bot.NIJI, extra=extra)
