"""`DiscordSession`: one account on Discord — REST + gateway, parsed events on an async iterator.

The worker's only door to Discord (`app.worker.link.DiscordLink` is this class's shape):

    async with DiscordSession(token, channel_id=…, guild_id=…, api_base=…) as session:
        index = await session.command_index()
        await session.send(commands.imagine(session.context(), index.get("imagine"), p, nonce))
        async for event in session.events():   # Ready, JobStarted, JobProgress, JobFinished, …
            …

Entering checks the token over REST (`GET /users/@me`) before the gateway connects: a bad token
is a 401 (`Unauthorized`) there, not a gateway that keeps failing. `events()` yields gateway
events (`Ready`, `Resumed`, `Reconnecting`, `GatewayFatal`) and bot events for this account's
channel (interaction events carry no channel and always pass). After `GatewayFatal` the iterator
ends; `fatal` says why.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from app.discord import commands
from app.discord.command_index import CommandIndex
from app.discord.commands import InteractionContext, UploadedAttachment
from app.discord.constants import DEFAULT_API_BASE
from app.discord.events import BotEvent, JobProgress, MessageDeleted, MessageEvent, Unknown
from app.discord.gateway import GatewayClient
from app.discord.gateway_events import Dispatch, GatewayEvent, GatewayFatal
from app.discord.parse import parse_dispatch
from app.discord.payload import opt_str
from app.discord.properties import ClientProperties
from app.discord.rest import DEFAULT_INPAINT_URL, DiscordRest, UploadFile

SessionEvent = GatewayEvent | BotEvent
_MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})
_END = object()


def inpaint_url(api_base: str) -> str:
    """Vary (Region)'s editor backend: Discord's activity host, or the sandbox's own origin."""
    if api_base.rstrip("/") == DEFAULT_API_BASE:
        return DEFAULT_INPAINT_URL
    parts = urlsplit(api_base)
    return f"{parts.scheme}://{parts.netloc}/inpaint/api/submit-job"


class DiscordSession:
    def __init__(
        self,
        token: str,
        *,
        channel_id: str,
        guild_id: str | None = None,
        api_base: str = DEFAULT_API_BASE,
        gateway_url: str | None = None,
        bot_ids: Collection[str] | None = None,
        compress: bool = False,
        gateway_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.channel_id = channel_id
        self.guild_id = guild_id
        self._token = token
        self._gateway_url = gateway_url
        self._bot_ids = bot_ids
        self._compress = compress
        self._properties = ClientProperties()
        self._gateway_options = dict(gateway_options or {})
        self.rest = DiscordRest(token, api_base=api_base, properties=self._properties)
        self.gateway: GatewayClient | None = None
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        # The newest queued progress of each progress message: an older one still queued behind
        # it is stale when its turn comes (a reader that fell behind writes the latest only).
        self._latest_progress: dict[str, JobProgress] = {}
        self._task: asyncio.Task[GatewayFatal | None] | None = None
        self.fatal: GatewayFatal | None = None

    def __repr__(self) -> str:  # never show the token
        return f"<DiscordSession channel={self.channel_id}>"

    async def __aenter__(self) -> DiscordSession:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """The token first, over REST; then the gateway (its URL from REST unless given)."""
        await self.rest.get_current_user()
        url = self._gateway_url or await self.rest.get_gateway_url()
        self.gateway = GatewayClient(
            self._token,
            url=url,
            on_event=self._on_gateway_event,
            properties=self._properties,
            compress=self._compress,
            **self._gateway_options,
        )
        self._task = asyncio.create_task(self.gateway.run(), name="discord-gateway")

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
        await self.rest.aclose()
        self._queue.put_nowait(_END)

    # ------------------------------------------------------------------ requests

    @property
    def session_id(self) -> str | None:
        return self.gateway.session_id if self.gateway else None

    def context(self) -> InteractionContext:
        """Where an interaction goes; before the first READY the session id is empty."""
        return InteractionContext(
            channel_id=self.channel_id, guild_id=self.guild_id, session_id=self.session_id or ""
        )

    async def command_index(self, *, refresh: bool = False) -> CommandIndex:
        if self.guild_id is not None:
            return await self.rest.get_command_index(guild_id=self.guild_id, refresh=refresh)
        return await self.rest.get_command_index(channel_id=self.channel_id, refresh=refresh)

    async def send(self, payload: Mapping[str, Any]) -> None:
        await self.rest.send_interaction(payload)

    async def upload(self, files: Sequence[UploadFile]) -> list[UploadedAttachment]:
        """Files uploaded to the channel, ready to be referenced by an interaction."""
        return await self.rest.upload_attachments(self.channel_id, files)

    async def post_images(self, files: Sequence[UploadFile]) -> list[str]:
        """Images posted as a channel message; their CDN URLs (for image prompts)."""
        uploaded = await self.upload(files)
        message = await self.rest.send_message(self.channel_id, "", uploaded)
        return [str(a["url"]) for a in message.get("attachments") or () if a.get("url")]

    async def recent_messages(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self.rest.get_messages(self.channel_id, limit=limit)

    async def messages_after(self, message_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Up to `limit` (≤ 100) channel messages posted after `message_id` (a page of history)."""
        return await self.rest.get_messages(self.channel_id, limit=limit, after=message_id)

    def parse_message(self, message: dict[str, Any]) -> BotEvent:
        """A fetched message as the event its MESSAGE_CREATE would have been (reconciliation)."""
        return parse_dispatch("MESSAGE_CREATE", message, bot_ids=self._bot_ids)

    async def submit_inpaint(self, token: str, mask: bytes, prompt: str) -> None:
        """Vary (Region): the mask and prompt for the editor the bot opened (iframe modal)."""
        body = commands.inpaint_submit(token, base64.b64encode(mask).decode(), prompt)
        await self.rest.submit_inpaint(body, url=inpaint_url(self.rest.api_base))

    # ------------------------------------------------------------------ events

    async def events(self) -> AsyncIterator[SessionEvent]:
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)  # let other iterators end too
                return
            if isinstance(item, JobProgress) and item.meta.message_id is not None:
                if self._latest_progress.get(item.meta.message_id) is not item:
                    continue  # superseded by a newer percent of the same message, still queued
                del self._latest_progress[item.meta.message_id]
            yield cast(SessionEvent, item)

    async def _on_gateway_event(self, event: GatewayEvent) -> None:
        if isinstance(event, Dispatch):
            if self._elsewhere(event):
                return
            parsed = parse_dispatch(event.type, event.data, bot_ids=self._bot_ids)
            if self._wanted(parsed):
                if isinstance(parsed, JobProgress) and parsed.meta.message_id is not None:
                    self._latest_progress[parsed.meta.message_id] = parsed
                self._queue.put_nowait(parsed)
            return
        if isinstance(event, GatewayFatal):
            self.fatal = event
        self._queue.put_nowait(event)
        if isinstance(event, GatewayFatal):
            self._queue.put_nowait(_END)

    def _elsewhere(self, event: Dispatch) -> bool:
        """A message of another channel, known before it is parsed: every account in a guild
        gets every channel's messages, so with ten accounts in one guild nine in ten of them
        are someone else's (`_wanted` would drop what they parse to anyway)."""
        if event.type not in _MESSAGE_EVENTS or not isinstance(event.data, dict):
            return False
        channel = opt_str(event.data.get("channel_id"))
        return channel is not None and channel != self.channel_id

    def _wanted(self, event: BotEvent) -> bool:
        if isinstance(event, Unknown):
            return False
        channel = None
        if isinstance(event, MessageEvent):
            channel = event.meta.channel_id
        elif isinstance(event, MessageDeleted) or hasattr(event, "channel_id"):
            channel = getattr(event, "channel_id", None)
        return channel is None or channel == self.channel_id
