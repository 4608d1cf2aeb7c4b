"""Asking a Midjourney-protocol bot an account command and waiting for its reply.

`/info`, `/settings`, `/fast`… go to one bot (Midjourney or niji・journey, each keeps its own
state, spec v2 §6). A reply is tied to its command by the nonce it echoes, or else by the
command's name and the bot that wrote it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from app.discord import commands
from app.discord.constants import MJ_APPLICATION_ID, NIJI_APPLICATION_ID
from app.discord.errors import CommandNotFound, DiscordError, InvalidFormBody
from app.discord.events import AccountError, AccountStateRead
from app.domain.actions import Bot
from app.worker.context import RunnerContext

log = logging.getLogger(__name__)

REPLY_TIMEOUT_S = 20.0
APPLICATIONS = {Bot.MJ: MJ_APPLICATION_ID, Bot.NIJI: NIJI_APPLICATION_ID}
Reply = AccountStateRead | AccountError


def bot_of_reply(author_id: str | None) -> Bot | None:
    """Which bot's account state a reply speaks of (None: not a Midjourney-protocol bot)."""
    return next((bot for bot, app in APPLICATIONS.items() if app == author_id), None)


@dataclass
class _Waiter:
    command: str
    bot: Bot
    nonce: str
    future: asyncio.Future[Reply]


class ControlReplies:
    def __init__(self, ctx: RunnerContext, timeout_s: float = REPLY_TIMEOUT_S) -> None:
        self._ctx = ctx
        self._timeout_s = timeout_s
        self._waiters: list[_Waiter] = []

    def resolve(self, event: Reply, source: str) -> bool:
        """Hand a reply to the command waiting for it; False when none waits."""
        nonce = event.meta.nonce
        bot = bot_of_reply(event.meta.author_id)
        waiter = next((w for w in self._waiters if nonce and w.nonce == nonce), None)
        if waiter is None:
            waiter = next((w for w in self._waiters if (w.command, w.bot) == (source, bot)), None)
        if waiter is None:
            return False
        self._waiters.remove(waiter)
        if not waiter.future.done():
            waiter.future.set_result(event)
        return True

    async def ask(
        self, command: str, bot: Bot = Bot.MJ, options: list[dict[str, Any]] | None = None
    ) -> Reply | None:
        """Send `bot`'s slash command; its reply event, or None (no reply in time, refused, or
        the guild does not offer that bot's command)."""
        nonce = self._ctx.nonces.next(self._ctx.clock())
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(command, bot, nonce, future)
        self._waiters.append(waiter)
        try:
            try:
                await self._send(command, bot, nonce, options)
            except InvalidFormBody:  # the bot re-registered its commands: a fresh index
                await self._ctx.link.command_index(refresh=True)
                await self._send(command, bot, nonce, options)
            return await asyncio.wait_for(future, self._timeout_s)
        except (DiscordError, TimeoutError) as exc:
            level = logging.INFO if isinstance(exc, CommandNotFound) else logging.WARNING
            log.log(
                level,
                "account command got no answer",
                extra={
                    "account": self._ctx.account.id,
                    "command": command,
                    "bot": str(bot),
                    "error": str(exc),
                },
            )
            return None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    async def _send(
        self, command: str, bot: Bot, nonce: str, options: list[dict[str, Any]] | None
    ) -> None:
        index = await self._ctx.link.command_index()
        ref = index.get(command, APPLICATIONS[bot])
        payload = commands.slash_command(self._ctx.link.context(), ref, nonce, options or ())
        await self._ctx.link.send(payload)
