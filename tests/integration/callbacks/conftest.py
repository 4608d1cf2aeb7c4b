"""Fixtures: loopback receivers and in-process dispatchers, stopped at the end of each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from app.callbacks.dispatcher import Dispatcher, DispatcherConfig
from app.callbacks.transport import Resolver, make_client, system_resolver
from tests.integration.callbacks.helpers import Handler, Receiver, RecordingBackend


@pytest_asyncio.fixture(loop_scope="session")
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def start(handler: Handler | None = None, host: str = "127.0.0.1") -> Receiver:
        receiver = await Receiver(handler, host).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.close()


@pytest_asyncio.fixture(loop_scope="session")
async def dispatchers(engine: AsyncEngine) -> AsyncIterator[Callable[..., Dispatcher]]:
    """Start in-process dispatchers on the test database; each stops at the end of the test."""
    running: list[tuple[asyncio.Event, asyncio.Task[None], Any]] = []

    def start(
        config: DispatcherConfig,
        *,
        resolver: Resolver | None = None,
        backend: RecordingBackend | None = None,
        listen_dsn: str | None = None,
    ) -> Dispatcher:
        client = make_client(config.allowlist, resolver=resolver or system_resolver, inner=backend)
        dispatcher = Dispatcher(engine, config, client=client, listen_dsn=listen_dsn)
        stop = asyncio.Event()
        running.append((stop, asyncio.create_task(dispatcher.run(stop)), client))
        return dispatcher

    yield start
    for stop, task, client in running:
        stop.set()
        await task
        await client.aclose()
