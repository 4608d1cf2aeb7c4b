"""Domain commands: what a parsed request asks for, independent of the dialect that said it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from app.domain.account_filter import AccountFilter
from app.domain.actions import Action, Bot
from app.domain.images import InputImage

# An input image: a URL still to be fetched (through the SSRF-safe client) or decoded bytes.
ImageInput = str | InputImage


@dataclass(frozen=True, kw_only=True)
class Passthrough:
    """Client fields echoed back, used for callbacks, or saying where and how the task runs."""

    notify_url: str | None = None
    client_state: str | None = None
    client_data: Any = None
    bot_type: str | None = None  # MID_JOURNEY | NIJI_JOURNEY
    # The speed mode a trueai route prefix asks (`/mj-relax/mj/…`): it wins over the filter's
    # modes and a `--relax` in the prompt.
    route_mode: str | None = None
    account_filter: AccountFilter | None = None


@dataclass(frozen=True, kw_only=True)
class CreateTask:
    """A new job with no parent: imagine, blend, describe, shorten, Pika create/animate."""

    dialect: str
    action: Action
    prompt: str = ""
    images: list[ImageInput] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    bot: Bot = Bot.MJ
    extra: Passthrough = field(default_factory=Passthrough)


@dataclass(frozen=True, kw_only=True)
class PressButton:
    """A follow-up on a finished task: by exact custom_id, or by action (+ index / variant)."""

    dialect: str
    parent_id: str
    custom_id: str | None = None
    action: Action | None = None
    index: int | None = None
    variant: str | None = None
    prompt: str | None = None
    mask: InputImage | None = None
    extra: Passthrough = field(default_factory=Passthrough)


@dataclass(frozen=True, kw_only=True)
class SubmitModal:
    """The client's input for a task waiting in MODAL (plus `/mj/submit/modal`)."""

    task_id: str
    prompt: str | None = None
    mask: InputImage | None = None


@dataclass(frozen=True, kw_only=True)
class CancelTask:
    task_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeAccount:
    """An operator's wish for an account's Midjourney settings; None: leave as it is."""

    account_id: str
    mode: str | None = None
    remix: bool | None = None
    remix_auto: bool | None = None


Command = CreateTask | PressButton | SubmitModal | CancelTask


def with_route_mode(
    command: CreateTask | PressButton | SubmitModal, mode: str | None
) -> CreateTask | PressButton | SubmitModal:
    """`command` as asked through a speed-mode route prefix (`/mj-relax/mj/…`). Modal input
    carries no mode: the task it names already has its own."""
    if mode is None or isinstance(command, SubmitModal):
        return command
    extra = dataclasses.replace(command.extra, route_mode=mode)
    return dataclasses.replace(command, extra=extra)
