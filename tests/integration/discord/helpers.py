"""Small helpers shared by the Discord client tests: what the worker does per interaction."""

from __future__ import annotations

import time
from typing import Any

from app.discord import commands
from app.discord.correlation import Correlator
from app.discord.events import MessageEvent
from app.discord.nonces import NonceGenerator
from app.discord.session import DiscordSession

_NONCES = NonceGenerator()


def new_nonce() -> str:
    """A fresh snowflake nonce, as the worker mints one per interaction."""
    return _NONCES.next(time.time())


async def send_imagine(session: DiscordSession, corr: Correlator, key: str, prompt: str) -> str:
    """/imagine `prompt`, tracked in `corr` under `key`; the nonce it was sent with."""
    index = await session.command_index()
    nonce = new_nonce()
    corr.track(key, nonce=nonce, now=time.time(), prompt=prompt)
    await session.send(commands.imagine(session.context(), index.get("imagine"), prompt, nonce))
    return nonce


async def press(
    session: DiscordSession,
    corr: Correlator,
    key: str,
    message: MessageEvent,
    custom_id: str,
    **hints: Any,
) -> str:
    """Press a button on `message`, tracked in `corr` under `key` (with correlation `hints`)."""
    nonce = new_nonce()
    corr.track(key, nonce=nonce, now=time.time(), **hints)
    await session.send(
        commands.press_button(
            session.context(),
            message_id=message.meta.message_id,
            custom_id=custom_id,
            nonce=nonce,
            message_flags=message.meta.flags,
        )
    )
    return nonce
