"""The one seam between the worker and Discord: `DiscordLink`, and how an account opens one.

The runner is written against `DiscordLink`; `app.discord.session.DiscordSession` is its
production shape (gateway + REST for one account), so a runner talks to the session and the
session to the transports, with nothing in between. The same code drives real Discord or the
sandbox: only base URLs differ. `open_channel_reader` is the REST-only door the hand-over of an
account that no longer runs uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from app.discord.command_index import CommandIndex
from app.discord.commands import InteractionContext, UploadedAttachment
from app.discord.constants import TRUSTED_BOT_IDS
from app.discord.events import BotEvent
from app.discord.gateway_events import GatewayEvent
from app.discord.parse import parse_dispatch
from app.discord.rest import DiscordRest, UploadFile
from app.discord.session import DiscordSession
from app.logs import register_secret


class DiscordLink(Protocol):
    """One connected account: events in, interactions and uploads out."""

    def context(self) -> InteractionContext:
        """Where an interaction goes: the account's channel, guild and gateway session."""
        ...

    def events(self) -> AsyncIterator[GatewayEvent | BotEvent]:
        """Connection events (Ready, Reconnecting, GatewayFatal…) and parsed bot events."""
        ...

    async def send(self, payload: Mapping[str, Any]) -> None: ...

    async def command_index(self, *, refresh: bool = False) -> CommandIndex: ...

    async def upload(self, files: Sequence[UploadFile]) -> list[UploadedAttachment]: ...

    async def post_images(self, files: Sequence[UploadFile]) -> list[str]:
        """Post images as a channel message; their CDN URLs (for image prompts)."""
        ...

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]: ...

    async def messages_after(self, message_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """A page of the channel's history after `message_id` (a video's clips after its grid)."""
        ...

    def parse_message(self, message: dict[str, Any]) -> BotEvent:
        """A fetched message as the event its MESSAGE_CREATE would have been (reconciliation)."""
        ...

    async def submit_inpaint(self, token: str, mask: bytes, prompt: str) -> None:
        """Vary (Region): the mask and prompt for the editor the bot opened (iframe modal)."""
        ...


def open_link(
    account: Mapping[str, Any],
    default_api_base: str,
    bot_ids: Collection[str] = TRUSTED_BOT_IDS,
) -> DiscordSession:
    """One account's session (enter it to connect); its token is never logged; `bot_ids` only.

    Entering checks the token over REST first: a bad one is a 401 there (the account is disabled
    with that reason), not a gateway that keeps failing to connect.
    """
    token = str(account["token"])
    register_secret(token)
    return DiscordSession(
        token,
        channel_id=str(account["channel_id"]),
        guild_id=str(account["guild_id"]),
        api_base=account.get("api_base") or default_api_base,
        gateway_url=account.get("gateway_url") or None,
        bot_ids=bot_ids,
    )


class ChannelReader:
    """REST only, for an account that no longer runs: its channel's messages, parsed."""

    def __init__(
        self, rest: DiscordRest, channel_id: str, bot_ids: Collection[str] = TRUSTED_BOT_IDS
    ) -> None:
        self._rest = rest
        self._channel_id = channel_id
        self._bot_ids = bot_ids

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._rest.get_messages(self._channel_id, limit=limit)

    def parse_message(self, message: dict[str, Any]) -> BotEvent:
        return parse_dispatch("MESSAGE_CREATE", message, bot_ids=self._bot_ids)


READER_TIMEOUT_S = 10.0  # a hand-over holds the account for one lease TTL: read within it


@asynccontextmanager
async def open_channel_reader(
    account: Mapping[str, Any],
    default_api_base: str,
    bot_ids: Collection[str] = TRUSTED_BOT_IDS,
) -> AsyncIterator[ChannelReader]:
    """Read one account's channel with its token (never logged); no gateway; `bot_ids` only."""
    token = str(account["token"])
    register_secret(token)
    rest = DiscordRest(
        token,
        api_base=account.get("api_base") or default_api_base,
        timeout=READER_TIMEOUT_S,
        max_attempts=2,
        max_rate_limit_wait=READER_TIMEOUT_S,
    )
    async with rest:
        yield ChannelReader(rest, str(account["channel_id"]), bot_ids)
