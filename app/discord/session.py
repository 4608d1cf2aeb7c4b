"""`DiscordSession`: REST + gateway for one account, with parsed events on an async iterator.

A thin facade for the worker:

    async with DiscordSession(token, channel_id=…, guild_id=…, api_base=…) as session:
        await session.wait_ready()
        index = await session.command_index()
        nonce = session.new_nonce()
        await session.send(commands.imagine(session.context(), index.get("imagine"), p, nonce))
        async for event in session.events():   # JobStarted, JobProgress, JobFinished, …
            …

`events()` yields gateway events (`Ready`, `Resumed`, `Reconnecting`, `GatewayFatal`) and bot
events for this account's channel (interaction events carry no channel and always pass).
After `GatewayFatal` the iterator ends; `fatal` says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any, cast

from app.discord.commands import CommandIndex, InteractionContext
from app.discord.constants import DEFAULT_API_BASE
from app.discord.correlation import NonceGenerator
from app.discord.errors import DiscordLocalError, GatewayFatalError
from app.discord.events import (
    BotEvent,
    Dispatch,
    GatewayEvent,
    GatewayFatal,
    MessageDeleted,
    MessageEvent,
    Ready,
    Unknown,
)
from app.discord.gateway import GatewayClient
from app.discord.parse import parse_dispatch
from app.discord.properties import ClientProperties
from app.discord.rest import DiscordRest

SessionEvent = GatewayEvent | BotEvent
_END = object()


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
        include_unknown: bool = False,
        properties: ClientProperties | None = None,
        rest_options: Mapping[str, Any] | None = None,
        gateway_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.channel_id = channel_id
        self.guild_id = guild_id
        self._token = token
        self._gateway_url = gateway_url
        self._bot_ids = bot_ids
        self._compress = compress
        self._include_unknown = include_unknown
        self._properties = properties or ClientProperties()
        self._gateway_options = dict(gateway_options or {})
        self.rest = DiscordRest(
            token, api_base=api_base, properties=self._properties, **dict(rest_options or {})
        )
        self.gateway: GatewayClient | None = None
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[GatewayFatal | None] | None = None
        self._nonces = NonceGenerator()
        self.fatal: GatewayFatal | None = None

    def __repr__(self) -> str:  # never show the token
        return f"<DiscordSession channel={self.channel_id}>"

    async def __aenter__(self) -> DiscordSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
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

    # ------------------------------------------------------------------ state

    @property
    def session_id(self) -> str | None:
        return self.gateway.session_id if self.gateway else None

    @property
    def user_id(self) -> str | None:
        return self.gateway.protocol.user_id if self.gateway else None

    async def wait_ready(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a plain deadline
        """Until the first READY; raises `GatewayFatalError` if the account is unusable."""
        ready = asyncio.create_task(self._ready.wait())
        pending = [ready] + ([self._task] if self._task else [])
        try:
            await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if self.fatal is not None:
            raise GatewayFatalError(self.fatal.close_code, self.fatal.reason)
        if not self._ready.is_set():
            raise TimeoutError("gateway not ready")

    def context(self) -> InteractionContext:
        if self.session_id is None:
            raise DiscordLocalError("no gateway session yet; wait_ready() first")
        return InteractionContext(
            channel_id=self.channel_id, guild_id=self.guild_id, session_id=self.session_id
        )

    def new_nonce(self) -> str:
        return self._nonces.next(time.time())

    async def command_index(self, *, refresh: bool = False) -> CommandIndex:
        if self.guild_id is not None:
            return await self.rest.get_command_index(guild_id=self.guild_id, refresh=refresh)
        return await self.rest.get_command_index(channel_id=self.channel_id, refresh=refresh)

    async def send(self, payload: Mapping[str, Any]) -> None:
        await self.rest.send_interaction(payload)

    # ------------------------------------------------------------------ events

    async def events(self) -> AsyncIterator[SessionEvent]:
        while True:
            item = await self._queue.get()
            if item is _END:
                self._queue.put_nowait(_END)  # let other iterators end too
                return
            yield cast(SessionEvent, item)

    async def _on_gateway_event(self, event: GatewayEvent) -> None:
        if isinstance(event, Dispatch):
            parsed = parse_dispatch(event.type, event.data, bot_ids=self._bot_ids)
            if self._wanted(parsed):
                self._queue.put_nowait(parsed)
            return
        if isinstance(event, Ready):
            self._ready.set()
        if isinstance(event, GatewayFatal):
            self.fatal = event
        self._queue.put_nowait(event)
        if isinstance(event, GatewayFatal):
            self._queue.put_nowait(_END)

    def _wanted(self, event: BotEvent) -> bool:
        if isinstance(event, Unknown):
            return self._include_unknown
        channel = None
        if isinstance(event, MessageEvent):
            channel = event.meta.channel_id
        elif isinstance(event, MessageDeleted) or hasattr(event, "channel_id"):
            channel = getattr(event, "channel_id", None)
        return channel is None or channel == self.channel_id
