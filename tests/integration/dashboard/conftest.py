"""Dashboard fixtures: the whole web app (API + dashboard) over ASGITransport on a fresh DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest_asyncio

from app.config import Settings
from app.web import create_app

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest_asyncio.fixture(loop_scope="session")
async def web(database_url: str) -> ClientFactory:
    """`async with web(**settings) as client:` — the web app on this test's database."""

    @asynccontextmanager
    async def open_client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(Settings(**settings), database_url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test", follow_redirects=False
            ) as client:
                yield client

    return open_client
