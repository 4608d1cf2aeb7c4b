"""Which Discord interaction a task sends: pure, from the task, its parent and the command index.

Slash commands (imagine, blend, describe, shorten, Pika create/animate) come from the guild's
application-command index; follow-ups press a button on the parent's message, by the exact
custom_id the client chose or the one the parent's buttons carry for the requested action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.discord import commands
from app.discord.command_index import CommandIndex
from app.discord.commands import InteractionContext, UploadedAttachment
from app.discord.constants import MJ_APPLICATION_ID, NIJI_APPLICATION_ID
from app.domain.actions import Action, Bot
from app.domain.buttons import find_action, find_custom_id, grid_custom_id
from app.domain.task import Task
from app.domain.video import END_FRAME, with_frame_links


class CannotSubmit(ValueError):
    """The task cannot become an interaction (missing parent message, button, input…)."""


@dataclass(frozen=True)
class Submission:
    payload: dict[str, Any]
    # Correlation hints for follow-ups: the parent message and the U-index the result answers.
    parent_message_id: str | None = None
    index: int | None = None


def application_of(task: Task) -> str:
    """The Midjourney-protocol application a task talks to: niji・journey's for niji tasks (its
    commands in the index, and a click must name the application of the message clicked)."""
    return NIJI_APPLICATION_ID if task.bot == Bot.NIJI else MJ_APPLICATION_ID


def _param(task: Task, *names: str) -> Any:
    for name in names:
        value = task.params.get(name)
        if value not in (None, ""):
            return value
    return None


def _index(task: Task) -> int | None:
    value = _param(task, "index")
    return int(value) if value is not None and str(value).isdigit() else None


def _button(task: Task, parent: Task) -> str:
    """The custom_id to press on the parent's message."""
    custom_id = _param(task, "customId", "custom_id")
    if custom_id:
        return str(custom_id)
    action = Action(task.action)
    ref = find_action(parent.buttons, action, _index(task), _param(task, "variant", "zoom"))
    if ref is not None:
        return ref.custom_id
    if action in (Action.UPSCALE, Action.VARIATION, Action.REROLL) and parent.message_hash:
        return grid_custom_id(action, _index(task) or 1, parent.message_hash)
    raise CannotSubmit(f"the parent task has no button for {task.action}")


def follow_up(ctx: InteractionContext, task: Task, parent: Task, nonce: str) -> Submission:
    if not parent.message_id:
        raise CannotSubmit("the parent task has no Discord message to act on")
    custom_id = _button(task, parent)
    ref = find_custom_id(parent.buttons, custom_id)
    # The message pressed, as the API resolved it (a video's clip message for its Extend).
    message_id = str(_param(task, "messageId") or parent.message_id)
    payload = commands.press_button(
        ctx,
        message_id=message_id,
        custom_id=custom_id,
        nonce=nonce,
        message_flags=parent.message_flags or 0,
        application_id=application_of(parent),
    )
    index = ref.index if ref is not None and ref.action == Action.UPSCALE else None
    return Submission(payload, parent_message_id=message_id, index=index)


@dataclass(frozen=True)
class _Commands:
    """The index seen from one application: `get(name)` finds only that bot's command."""

    index: CommandIndex
    application_id: str

    def get(self, name: str) -> commands.CommandRef:
        return self.index.get(name, self.application_id)


def with_image_links(prompt: str, links: Sequence[str]) -> str:
    """Image prompts go first, as links, the way the bot expects them."""
    return " ".join([*links, prompt]).strip()


def slash(
    ctx: InteractionContext,
    task: Task,
    index: CommandIndex,
    nonce: str,
    uploads: Sequence[UploadedAttachment] = (),
    image_links: Sequence[str] = (),
) -> Submission:
    """A new job: imagine, blend, describe, shorten, Pika create / animate."""
    action = Action(task.action)
    prompt = task.prompt_en or task.prompt
    if action in (Action.PIKA_CREATE, Action.PIKA_ANIMATE):
        return _pika(ctx, task, index, nonce, uploads, prompt)
    own = _Commands(index, application_of(task))
    return _midjourney(ctx, task, action, own, nonce, uploads, image_links, prompt)


def _midjourney(
    ctx: InteractionContext,
    task: Task,
    action: Action,
    index: _Commands,
    nonce: str,
    uploads: Sequence[UploadedAttachment],
    image_links: Sequence[str],
    prompt: str,
) -> Submission:
    """Midjourney's or niji's slash commands (a video without a parent is an /imagine)."""
    if action in (Action.IMAGINE, Action.ANIMATE):
        command = index.get("imagine")
        links = list(image_links)
        text = (
            with_frame_links(prompt, links, bool(task.params.get(END_FRAME)))
            if action == Action.ANIMATE
            else with_image_links(prompt, links)
        )
        return Submission(commands.imagine(ctx, command, text, nonce))
    if action == Action.SHORTEN:
        return Submission(commands.shorten(ctx, index.get("shorten"), prompt, nonce))
    if action == Action.DESCRIBE:
        link = _param(task, "link")
        if uploads:
            return Submission(
                commands.describe(ctx, index.get("describe"), nonce, image=uploads[0])
            )
        if link:
            return Submission(commands.describe(ctx, index.get("describe"), nonce, link=str(link)))
        raise CannotSubmit("describe needs an image")
    if action == Action.BLEND:
        dimensions = _param(task, "dimensions")
        command = index.get("blend")
        return Submission(commands.blend(ctx, command, list(uploads), nonce, dimensions))
    raise CannotSubmit(f"{task.action} is not a slash command")


def _pika(
    ctx: InteractionContext,
    task: Task,
    index: CommandIndex,
    nonce: str,
    uploads: Sequence[UploadedAttachment],
    prompt: str,
) -> Submission:
    name = "create" if Action(task.action) == Action.PIKA_CREATE else "animate"
    # Pika's commands share names with nobody we drive, but never press Midjourney's by mistake.
    midjourneys = (MJ_APPLICATION_ID, NIJI_APPLICATION_ID)
    command = next(
        (c for c in index.commands if c.name == name and c.application_id not in midjourneys),
        None,
    )
    if command is None:
        raise CannotSubmit(f"the Pika bot's /{name} command is not in this guild")
    if name == "create":
        image = uploads[0] if uploads else None
        return Submission(commands.pika_create(ctx, command, prompt, nonce, image))
    if not uploads:
        raise CannotSubmit("/animate needs an image")
    return Submission(commands.pika_animate(ctx, command, uploads[0], nonce, prompt or None))


def is_follow_up(task: Task) -> bool:
    return task.parent_id is not None
