"""Structural comparison of emitted JSON with the spec fixtures: same keys, same JSON types.

Lists: every emitted item must match at least one fixture item (fixtures show each variant once);
an empty fixture list accepts any items. `_comment*` keys are annotations and ignored.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures import discord_fixture

fixture = discord_fixture  # a fixture file, comments removed


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def shape_errors(
    actual: Any, expected: Any, path: str = "$", nullable: frozenset[str] = frozenset()
) -> list[str]:
    """Differences in structure, as readable strings (empty list: same shape)."""
    key = path.rsplit(".", 1)[-1]
    if _kind(actual) != _kind(expected):
        if key in nullable and None in (actual, expected):
            return []
        return [f"{path}: {_kind(actual)} where fixture has {_kind(expected)}"]
    if isinstance(expected, dict):
        errors = []
        missing = set(expected) - set(actual)
        extra = set(actual) - set(expected)
        if missing:
            errors.append(f"{path}: missing keys {sorted(missing)}")
        if extra:
            errors.append(f"{path}: extra keys {sorted(extra)}")
        for name in set(expected) & set(actual):
            errors += shape_errors(actual[name], expected[name], f"{path}.{name}", nullable)
        return errors
    if isinstance(expected, list) and expected:
        errors = []
        for index, item in enumerate(actual):
            options = [shape_errors(item, e, f"{path}[{index}]", nullable) for e in expected]
            if all(options):
                errors += min(options, key=len)
        return errors
    return []


def assert_shape(actual: Any, expected: Any, nullable: frozenset[str] = frozenset()) -> None:
    errors = shape_errors(actual, expected, nullable=nullable)
    assert not errors, "\n".join(errors)
