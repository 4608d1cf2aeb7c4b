"""Dashboard fixtures: the whole web app (API + dashboard) over ASGITransport on a fresh DB."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest_asyncio

from tests.web import app_client

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest_asyncio.fixture(loop_scope="session")
async def web(database_url: str) -> ClientFactory:
    """`async with web(**settings) as client:` — the web app on this test's database."""

    def open_client(**settings: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(database_url, **settings)

    return open_client
