"""Fixtures for the Discord client against the local sandbox (real sockets on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from app.discord.gateway_events import Ready
from app.discord.session import DiscordSession


@pytest.fixture
async def sandbox() -> AsyncIterator[Any]:
    sandbox_module = pytest.importorskip("app.sandbox")
    async with sandbox_module.start_sandbox(
        host="127.0.0.1", port=0, accounts=2, speed="instant", seed=0
    ) as sb:
        yield sb


@asynccontextmanager
async def open_session(sb: Any, index: int = 0, **kwargs: Any) -> AsyncIterator[DiscordSession]:
    account = sb.accounts[index]
    session = DiscordSession(
        account.token,
        channel_id=account.channel_id,
        guild_id=account.guild_id,
        api_base=sb.base_url + "/api/v9",
        gateway_options={"backoff_base": 0.05},
        **kwargs,
    )
    async with session:
        yield session


@pytest.fixture
def session_factory() -> Callable[..., Any]:
    return open_session


class EventLog:
    """Reads a session's events into a list; `until(pred)` waits for a matching one."""

    def __init__(self, session: DiscordSession) -> None:
        self.events: list[Any] = []
        self._iterator = session.events().__aiter__()

    async def until(self, predicate: Callable[[Any], bool], within: float = 10.0) -> Any:
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no matching event; saw {[type(e).__name__ for e in self.events]}"
                )
            event = await asyncio.wait_for(self._iterator.__anext__(), remaining)
            self.events.append(event)
            if predicate(event):
                return event

    async def ready(self) -> Ready:
        """Until the session's first READY (the events before it are kept in `events`)."""
        ready: Ready = await self.until(lambda e: isinstance(e, Ready))
        return ready


@pytest.fixture
def event_log() -> type[EventLog]:
    return EventLog
