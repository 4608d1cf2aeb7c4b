"""Shared helpers for the Discord protocol unit tests: the spec fixtures, comments stripped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures import DISCORD_FIXTURES, discord_fixture

FIXTURES = DISCORD_FIXTURES


def _load(name: str, *path: str) -> Any:
    value = discord_fixture(name)
    for key in path:
        value = value[key]
    return value


@pytest.fixture(scope="session")
def spec_fixture() -> Callable[..., Any]:
    """`spec_fixture("file.json", "key", …)`: a fixture file (or a part of it), comments removed."""
    if not FIXTURES.is_dir():
        pytest.fail(f"spec fixtures missing at {FIXTURES}")
    return _load


@pytest.fixture(scope="session")
def fixture_names() -> set[str]:
    return {p.name for p in FIXTURES.glob("*.json")}
