"""The web app in the test's own process, on the test's database, without a socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.config import Settings
from app.web import create_app


@asynccontextmanager
async def app_client(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app built from `settings`, its lifespan running, and a client talking to it over
    httpx.ASGITransport (base URL http://test, redirects not followed; `client.app` is the app)."""
    app = create_app(Settings(**settings), database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
