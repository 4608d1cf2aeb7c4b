"""Reading Discord's JSON defensively: a field of the wrong type is absent, never a crash."""

from __future__ import annotations

from typing import Any


def required_str(d: dict[str, Any], key: str) -> str:
    value = opt_str(d.get(key))
    if not value:
        raise KeyError(key)
    return value


def opt_str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


def opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
