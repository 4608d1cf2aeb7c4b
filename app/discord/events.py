"""Typed bot events: what Discord or the Midjourney/Pika bot said about a job.

Everything here derives from `BotEvent` and comes from `parse.parse_dispatch`; the events of the
gateway connection itself (`Ready`, `Dispatch` …) are in `gateway_events`.

Every message-derived event carries the correlation keys of its message (`MessageMeta`) so the
worker can tie it to a task without looking at raw payloads again. All events are frozen
dataclasses with keyword-only fields: cheap to compare in tests, safe to pass between tasks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from app.discord.account_info import AccountReading


class TaskErrorKind(enum.StrEnum):
    """Failures that end one task; the account stays usable."""

    BANNED_PROMPT = "banned_prompt"
    INVALID_PARAMETER = "invalid_parameter"
    INVALID_PROMPT = "invalid_prompt"
    INVALID_LINK = "invalid_link"
    OUTPUT_FILTERED = "output_filtered"
    DUPLICATE_IMAGES = "duplicate_images"
    QUEUE_FULL = "queue_full"
    MODERATION_APPEAL = "moderation_appeal"
    ACTION_RESTRICTED = "action_restricted"
    INVALID_REQUEST = "invalid_request"
    COMMAND_FAILED = "command_failed"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


class AccountErrorKind(enum.StrEnum):
    """Failures that make the account unusable until a human (or time) fixes it."""

    PENDING_MODERATION = "pending_moderation"
    CAPTCHA = "captcha"
    OUT_OF_CREDITS = "out_of_credits"
    NO_SUBSCRIPTION = "no_subscription"
    BANNED = "banned"
    UNDER_REVIEW = "under_review"
    TOS_NOT_ACCEPTED = "tos_not_accepted"
    BAD_TOKEN = "bad_token"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True, kw_only=True)
class Button:
    """One clickable component; `custom_id` is None for link buttons."""

    custom_id: str | None
    label: str | None = None
    emoji: str | None = None
    style: int | None = None
    url: str | None = None
    component_type: int = 2


@dataclass(frozen=True, kw_only=True)
class MessageMeta:
    """Correlation keys of one Discord message (see spec §3.8)."""

    message_id: str | None  # None only for events that are not messages (captcha iframe)
    channel_id: str | None = None
    guild_id: str | None = None
    author_id: str | None = None
    nonce: str | None = None
    interaction_id: str | None = None
    interaction_name: str | None = None
    reference_message_id: str | None = None
    flags: int = 0
    # False for a partial MESSAGE_UPDATE (no `author`): it may be about anyone's message.
    author_known: bool = True


@dataclass(frozen=True, kw_only=True)
class BotEvent:
    """Base of everything `parse_dispatch` returns."""


@dataclass(frozen=True, kw_only=True)
class Unknown(BotEvent):
    """A dispatch we do not act on (other event types, other authors, malformed payloads)."""

    event_type: str
    reason: str
    meta: MessageMeta | None = None


@dataclass(frozen=True, kw_only=True)
class InteractionCreated(BotEvent):
    interaction_id: str
    nonce: str | None


@dataclass(frozen=True, kw_only=True)
class InteractionSucceeded(BotEvent):
    interaction_id: str
    nonce: str | None


@dataclass(frozen=True, kw_only=True)
class InteractionFailed(BotEvent):
    """The bot did not acknowledge in time ("This interaction failed")."""

    interaction_id: str
    nonce: str | None
    reason_code: int | None


@dataclass(frozen=True, kw_only=True)
class ModalField:
    custom_id: str
    value: str | None = None
    label: str | None = None


@dataclass(frozen=True, kw_only=True)
class BotModal(BotEvent):
    """A modal the bot opened in answer to our interaction: the task waits for the client."""

    interaction_id: str
    nonce: str | None
    channel_id: str | None
    custom_id: str
    title: str | None
    application_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ModalOpened(BotModal):
    """INTERACTION_MODAL_CREATE: submit with `commands.submit_modal(interaction_id, custom_id…)`."""

    fields: tuple[ModalField, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IframeModalOpened(BotModal):
    """INTERACTION_IFRAME_MODAL_CREATE for Vary (Region); `token` goes into the inpaint submit."""

    token: str
    iframe_path: str | None


@dataclass(frozen=True, kw_only=True)
class MessageEvent(BotEvent):
    meta: MessageMeta
    prompt: str | None = None


@dataclass(frozen=True, kw_only=True)
class JobStarted(MessageEvent):
    """The bot's first message for a job ("(Waiting to start)"); its id is the progress message."""

    action_label: str | None = None


@dataclass(frozen=True, kw_only=True)
class JobProgress(MessageEvent):
    percent: int
    preview_url: str | None = None
    job_hash: str | None = None
    mode: str | None = None


@dataclass(frozen=True, kw_only=True)
class JobFinished(MessageEvent):
    """A final result: a new message with the media and the follow-up buttons."""

    image_url: str | None = None
    video_url: str | None = None
    proxy_url: str | None = None
    filename: str | None = None
    width: int | None = None
    height: int | None = None
    job_hash: str | None = None
    action_label: str | None = None
    index: int | None = None  # "Image #i" of an upscale
    mode: str | None = None
    buttons: tuple[Button, ...] = ()
    components: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class Described(MessageEvent):
    """A describe result: four prompts; `components` are the message's raw action rows."""

    prompts: tuple[str, ...]
    image_url: str | None = None
    buttons: tuple[Button, ...] = ()
    components: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class Shortened(MessageEvent):
    """A shorten result: the options; `components` are the message's raw action rows."""

    prompts: tuple[str, ...]
    buttons: tuple[Button, ...] = ()
    components: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class JobQueued(MessageEvent):
    """Not terminal: the account is at its concurrency limit; the real start follows later."""

    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskError(MessageEvent):
    kind: TaskErrorKind
    title: str | None
    reason: str
    retryable: bool = False
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AccountError(MessageEvent):
    kind: AccountErrorKind
    title: str | None
    reason: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BotNotice(MessageEvent):
    """A non-error embed we do not model (warnings, `/info`); kept for logs and probes."""

    title: str | None
    description: str | None


@dataclass(frozen=True, kw_only=True)
class AccountStateRead(MessageEvent):
    """The bot said something of the account itself: `/info`, the `/settings` panel, a
    `/fast`/`/relax`/`/turbo` or `/prefer remix` that went through (`source` names which)."""

    source: str
    reading: AccountReading


@dataclass(frozen=True, kw_only=True)
class MessageDeleted(BotEvent):
    message_id: str
    channel_id: str | None


TERMINAL_EVENTS = (JobFinished, Described, Shortened, TaskError, AccountError)
