from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.sandbox import Sandbox, start_sandbox
from tests.integration.sandbox.helpers import Driver


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(port=0, accounts=2, speed="instant", seed=0) as sb:
        yield sb


@pytest.fixture
async def driver(sandbox: Sandbox) -> AsyncIterator[Driver]:
    client = Driver(sandbox.base_url, sandbox.gateway_url, sandbox.accounts[0])
    await client.gateway.connect()
    yield client
    await client.aclose()


@pytest.fixture
async def other(sandbox: Sandbox) -> AsyncIterator[Driver]:
    client = Driver(sandbox.base_url, sandbox.gateway_url, sandbox.accounts[1])
    await client.gateway.connect()
    yield client
    await client.aclose()
