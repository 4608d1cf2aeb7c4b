"""Discord client layer: sans-IO Midjourney/Pika protocol plus thin gateway and REST transports.

Pure (no I/O): `events`, `parse`, `content`, `bot_errors`, `custom_ids`, `commands`,
`correlation`, `gateway_protocol`, `ratelimit`, `errors`, `properties`, `constants`.
Transports: `gateway` (websockets), `rest` (httpx), `session` (both, for one account).
"""

from __future__ import annotations

from app.discord import commands
from app.discord.commands import CommandIndex, CommandRef, InteractionContext, UploadedAttachment
from app.discord.constants import DEFAULT_API_BASE, MJ_APPLICATION_ID
from app.discord.correlation import Correlator, NonceGenerator, prompts_match
from app.discord.custom_ids import ButtonAction, build_custom_id, find_button, parse_custom_id
from app.discord.errors import (
    DiscordError,
    DiscordHTTPError,
    DiscordLocalError,
    DiscordRemoteError,
    GatewayFatalError,
    RateLimited,
    TransportError,
)
from app.discord.events import (
    AccountError,
    AccountErrorKind,
    BotEvent,
    BotNotice,
    Button,
    Described,
    Dispatch,
    GatewayFatal,
    IframeModalOpened,
    InteractionCreated,
    InteractionFailed,
    InteractionSucceeded,
    JobFinished,
    JobProgress,
    JobQueued,
    JobStarted,
    MessageDeleted,
    MessageMeta,
    ModalOpened,
    Ready,
    Reconnecting,
    Resumed,
    Shortened,
    TaskError,
    TaskErrorKind,
    Unknown,
)
from app.discord.gateway import GatewayClient
from app.discord.parse import message_meta, parse_dispatch
from app.discord.rest import DiscordRest, UploadFile
from app.discord.session import DiscordSession

__all__ = [
    "DEFAULT_API_BASE",
    "MJ_APPLICATION_ID",
    "AccountError",
    "AccountErrorKind",
    "BotEvent",
    "BotNotice",
    "Button",
    "ButtonAction",
    "CommandIndex",
    "CommandRef",
    "Correlator",
    "Described",
    "DiscordError",
    "DiscordHTTPError",
    "DiscordLocalError",
    "DiscordRemoteError",
    "DiscordRest",
    "DiscordSession",
    "Dispatch",
    "GatewayClient",
    "GatewayFatal",
    "GatewayFatalError",
    "IframeModalOpened",
    "InteractionContext",
    "InteractionCreated",
    "InteractionFailed",
    "InteractionSucceeded",
    "JobFinished",
    "JobProgress",
    "JobQueued",
    "JobStarted",
    "MessageDeleted",
    "MessageMeta",
    "ModalOpened",
    "NonceGenerator",
    "RateLimited",
    "Ready",
    "Reconnecting",
    "Resumed",
    "Shortened",
    "TaskError",
    "TaskErrorKind",
    "TransportError",
    "Unknown",
    "UploadFile",
    "UploadedAttachment",
    "build_custom_id",
    "commands",
    "find_button",
    "message_meta",
    "parse_custom_id",
    "parse_dispatch",
    "prompts_match",
]
