"""JSON in and out, fast: orjson, with the standard library for the few values it refuses.

Every response, callback and row of JSON passes through here, so the codec is on the hot path
of each fetch (the row's JSON columns) and each write. orjson refuses a lone surrogate
(`"\\ud800"`, which input may carry and messages echo), integers beyond 64 bits and non-string
keys; those fall back to `json`, whose output for them is what clients got before. Reading,
orjson takes an integer beyond 64 bits as a float (no client field is one).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON (`,` and `:` without spaces, non-ASCII as is)."""
    try:
        return orjson.dumps(value, option=_SORTED if sort_keys else None)
    except TypeError:  # orjson.JSONEncodeError is one
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        # A lone surrogate has no UTF-8 form: written as the JSON escape it came in as.
        return text.encode("utf-8", "backslashreplace")


def dumps_text(value: Any) -> str:
    """`dumps` as text (for a driver that sends JSON as a string)."""
    return dumps(value).decode("utf-8")


def loads(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
