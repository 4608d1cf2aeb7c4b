"""The production `DiscordLink`: `app.discord.DiscordSession` for one account row.

Real Discord or the sandbox: only `api_base` (and the gateway URL it hands out) differ.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from app.discord import commands
from app.discord.commands import CommandIndex, UploadedAttachment
from app.discord.constants import DEFAULT_API_BASE, TRUSTED_BOT_IDS
from app.discord.events import BotEvent, GatewayEvent
from app.discord.parse import parse_dispatch
from app.discord.rest import DEFAULT_INPAINT_URL, DiscordRest, UploadFile
from app.discord.session import DiscordSession
from app.domain.images import sniff_image_type
from app.logs import register_secret


class SessionLink:
    def __init__(self, session: DiscordSession, bot_ids: Collection[str] = TRUSTED_BOT_IDS) -> None:
        self._session = session
        self._bot_ids = bot_ids

    @property
    def session_id(self) -> str | None:
        return self._session.session_id

    def events(self) -> AsyncIterator[GatewayEvent | BotEvent]:
        return self._session.events()

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        await self._session.send(payload)

    async def command_index(self, refresh: bool = False) -> CommandIndex:
        return await self._session.command_index(refresh=refresh)

    async def upload(self, files: Sequence[tuple[str, bytes]]) -> list[UploadedAttachment]:
        uploads = [
            UploadFile(name, data, sniff_image_type(data) or "application/octet-stream")
            for name, data in files
        ]
        return await self._session.rest.upload_attachments(self._session.channel_id, uploads)

    async def post_images(self, files: Sequence[tuple[str, bytes]]) -> list[str]:
        uploaded = await self.upload(files)
        message = await self._session.rest.send_message(self._session.channel_id, "", uploaded)
        return [str(a["url"]) for a in message.get("attachments") or () if a.get("url")]

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._session.rest.get_messages(self._session.channel_id, limit=limit)

    def parse_message(self, message: dict[str, Any]) -> BotEvent:
        return parse_dispatch("MESSAGE_CREATE", message, bot_ids=self._bot_ids)

    async def submit_inpaint(self, token: str, mask: bytes, prompt: str) -> None:
        body = commands.inpaint_submit(token, base64.b64encode(mask).decode(), prompt)
        await self._session.rest.submit_inpaint(body, url=inpaint_url(self._session.rest.api_base))


def inpaint_url(api_base: str) -> str:
    """Vary (Region)'s editor backend: Discord's activity host, or the sandbox's own origin."""
    if api_base.rstrip("/") == DEFAULT_API_BASE:
        return DEFAULT_INPAINT_URL
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}/inpaint/api/submit-job"


@asynccontextmanager
async def open_link(
    account: Mapping[str, Any],
    default_api_base: str,
    bot_ids: Collection[str] = TRUSTED_BOT_IDS,
) -> AsyncIterator[SessionLink]:
    """Connect one account (token from its row, never logged); believe only `bot_ids`."""
    token = str(account["token"])
    register_secret(token)
    session = DiscordSession(
        token,
        channel_id=str(account["channel_id"]),
        guild_id=str(account["guild_id"]),
        api_base=account.get("api_base") or default_api_base,
        gateway_url=account.get("gateway_url") or None,
        bot_ids=bot_ids,
    )
    try:
        # The token first, over REST: a bad one is a 401 here (the account gets disabled with
        # that reason), not a gateway that keeps failing to connect.
        await session.rest.get_current_user()
    except BaseException:
        await session.close()
        raise
    async with session:
        yield SessionLink(session, bot_ids)


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
