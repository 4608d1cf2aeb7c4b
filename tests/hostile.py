"""Hypothesis strategies for hostile input: arbitrary JSON-ish values and near-valid bodies.

Two families, used by the parser property tests:
- `json_values`: anything `json.loads` can return (NaN, infinities, lone surrogates and
  4,300-digit integers included), nested a few levels deep.
- `near_valid(valid, fields)`: a body a real client could send, with some of its fields (or other
  known field names) replaced by hostile values: huge numbers, NaN, objects where strings are
  expected, non-ASCII, NUL bytes, empty and blank strings, very long text.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Fast and repeatable: a fixed example budget, the same examples on every run, no saved database.
PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
JOB_HASH = "3f8a2c1e-5b7d-4e9a-8c6f-1a2b3c4d5e6f"

# Any code point, lone surrogates included (json.loads('"\\ud800"') makes one).
_any_char = st.characters(codec=None, categories=None)
any_text = st.text(_any_char, max_size=40)

# json.loads refuses integers past 4,300 digits (as str() does), so that is the largest seen.
huge_ints = st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**400, -(10**400), 10**4299])
odd_floats = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324])
odd_strings = st.sampled_from(
    [
        "",
        " ",
        "\t\n",
        "\x00",
        "a\x00b",
        "\ud800",
        "x\udfffy",
        "\u202e\u200b\ufeff",
        "猫 🐈 кот",
        "0",
        "-1",
        "NaN",
        "null",
        "true",
        "[]",
        "{}",
        "x" * 7000,
        "y " * 5000,
        "::",
        "MJ::",
        "MJ::JOB::",
        "MJ::JOB::upsample::9999999999999999999999::" + JOB_HASH,
        "MJ::iframe::",
        "data:",
        "data:image/png;base64,",
        "data:image/png;base64,!!!!",
        "data:image/png;base64," + "A" * 5000,
        "data:text/html;base64,PHNjcmlwdD4=",
        PNG_DATA_URL,
        PNG_DATA_URL.replace("image/png", "image/png;charset=\x00"),
        "http://",
        "http://[::1",
        "http://127.0.0.1:0/x",
        "https://example.com/a b.png",
        "https://example.com/" + "p" * 5000,
        "javascript:alert(1)",
        "file:///etc/passwd",
        "1234567890123456",
        "1234567890123456789",
        "12345678901234567890123456789",
        "UPSCALE",
        "u1",
        "REROLL",
        "MID_JOURNEY",
        "SQUARE",
        "1234567890123456 U1",
        "1234567890123456 R",
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | huge_ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | odd_floats
    | any_text
    | odd_strings
)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(any_text | odd_strings, children, max_size=6)
    ),
    max_leaves=25,
) | st.sampled_from([_deep(50), _deep(900), list(range(2000)), {str(i): i for i in range(300)}])

hostile_values = scalars | json_values


def near_valid(valid: Mapping[str, Any], fields: Sequence[str]) -> st.SearchStrategy[Any]:
    """`valid` with some known fields replaced or dropped, and extra known fields added."""
    names = sorted({*valid, *fields})
    replaced = st.dictionaries(st.sampled_from(names), hostile_values, max_size=len(names))
    dropped = st.sets(st.sampled_from(names), max_size=2)

    def build(changes: dict[str, Any], drop: set[str]) -> dict[str, Any]:
        body = {k: v for k, v in valid.items() if k not in drop}
        body.update(changes)
        return body

    return st.builds(build, replaced, dropped)


def bodies(valid: Mapping[str, Any], fields: Sequence[str]) -> st.SearchStrategy[Any]:
    """Arbitrary JSON, objects of known field names with hostile values, and near-valid ones."""
    known = st.dictionaries(st.sampled_from(sorted({*valid, *fields})), hostile_values, max_size=8)
    return json_values | known | near_valid(valid, fields)


# ------------------------------------------------------------------------- over HTTP

# Strings a type check lets through: they must still never reach Postgres or an encoder raw.
ODD_STRINGS = [
    "\x00",
    "a\x00b",
    "\ud800",
    "é猫🐈\u202e",
    "..",
    "%",
    "x" * 20_000,
    "9" * 40,
    "-1",
]


def quote_any(value: str) -> str:
    """Percent-encode for a URL or a form, lone surrogates included (as their UTF-8-ish bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def log_problems(records: Sequence[logging.LogRecord], secrets: Sequence[str]) -> list[str]:
    """Records that show a bug: ERROR or worse, a traceback, or a secret in the text."""
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info or record.levelno >= logging.ERROR or "Traceback" in text:
            found.append(f"{record.levelname} {record.name}: {text[:300]}")
        elif any(secret in text for secret in secrets):
            found.append(f"a secret in the log: {record.name}")
    return found
