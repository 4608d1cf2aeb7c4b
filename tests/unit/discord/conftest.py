"""Shared helpers for the Discord protocol unit tests: the spec fixtures, comments stripped."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures import DISCORD_FIXTURES

FIXTURES = DISCORD_FIXTURES


def strip_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_comments(v) for k, v in value.items() if not k.startswith("_comment")}
    if isinstance(value, list):
        return [strip_comments(v) for v in value]
    return value


def _load(name: str, *path: str) -> Any:
    value = strip_comments(json.loads((FIXTURES / name).read_text(encoding="utf-8")))
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
