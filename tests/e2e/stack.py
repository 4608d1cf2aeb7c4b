"""The whole relay in this process for a test: the worker on the sandbox's accounts, the app
served on a loopback port (or the `api` fixture's in-process app), and an HTTP client polling a
task until it is done."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.sandbox import Sandbox
from app.web import create_app
from app.worker.sandbox_accounts import register_sandbox_accounts
from tests.integration.api.conftest import body
from tests.integration.dashboard.helpers import serve_app
from tests.stack import WAIT_S, running_worker


@contextlib.asynccontextmanager
async def worker(database_url: str, engine: AsyncEngine, sandbox: Sandbox) -> AsyncIterator[None]:
    await register_sandbox_accounts(engine, sandbox.accounts, sandbox.base_url)
    async with running_worker(database_url, engine, poll_interval_s=0.2):
        yield


@contextlib.asynccontextmanager
async def served(
    database_url: str, engine: AsyncEngine, sandbox: Sandbox
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The app on a loopback port and the worker on the sandbox's accounts: (base URL, a client
    of the app)."""
    app = create_app(Settings(), database_url)
    async with (
        serve_app(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
        worker(database_url, engine, sandbox),
    ):
        yield base, client


async def poll(client, path: str, done, **kw):
    """GET `path` until `done(json)`; the walk of statuses seen on the way is returned too."""
    seen: list[object] = []
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        reply = body(await client.get(path, **kw))
        if not seen or seen[-1] != reply:
            seen.append(reply)
        if done(reply):
            return reply, seen
        assert asyncio.get_running_loop().time() < deadline, f"{path} stuck: {reply}"
        await asyncio.sleep(0.05)


def nz_done(task) -> bool:
    return task["status"] in ("SUCCESS", "FAILURE", "CANCEL")
