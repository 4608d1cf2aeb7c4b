"""Fixtures for tests that run mjrelay as a separate process."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


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
