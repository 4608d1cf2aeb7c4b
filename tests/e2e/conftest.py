"""Fixtures of the end-to-end tests: mjrelay as a separate process (a data folder), or the whole
relay in this process (the sandbox, and the API's own `api` and `png` fixtures)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from app.sandbox import Sandbox, start_sandbox
from tests.integration.api.conftest import api, png

__all__ = ["api", "png"]  # the API tests' fixtures, shared


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder for an embedded PostgreSQL, outside pytest's tmp_path.

    As root, pgserver runs postgres as the `pgserver` user and opens every parent folder to it;
    pytest sets /tmp/pytest-of-root back to 0700 whenever another pytest session starts, which
    would lock that user out mid-run. A short path also keeps the unix socket under ~100 bytes.
    """
    folder = Path(tempfile.mkdtemp(prefix="mjd-", dir="/tmp"))
    try:
        yield folder / "data"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with start_sandbox(host="127.0.0.1", port=0, accounts=2, speed="instant", seed=3) as sb:
        yield sb
