"""Domain commands: what a parsed request asks for, independent of the dialect that said it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.actions import Action, Bot
from app.domain.images import InputImage

# An input image: a URL still to be fetched (through the SSRF-safe client) or decoded bytes.
ImageInput = str | InputImage


@dataclass(frozen=True, kw_only=True)
class Passthrough:
    """Client fields echoed back or used for callbacks."""

    notify_url: str | None = None
    client_state: str | None = None
    client_data: Any = None
    bot_type: str | None = None  # MID_JOURNEY | NIJI_JOURNEY


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


Command = CreateTask | PressButton | SubmitModal | CancelTask
