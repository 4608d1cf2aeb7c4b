"""The one JSON codec: orjson's output where it can, the standard library's where it cannot."""

from __future__ import annotations

import json

import pytest

from app.domain.json_codec import dumps, dumps_text, loads


def standard(value: object, sort_keys: bool = False) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return text.encode("utf-8", "backslashreplace")


@pytest.mark.parametrize(
    "value",
    [
        {"id": "1", "prompt": "un phare au crépuscule 🌅", "progress": "100%", "n": [1, 2.5, None]},
        {"x": "\ud800 a lone surrogate"},  # orjson refuses it: the standard library's escape
        {1: "a non-string key"},
        {"big": 2**70},
        [True, False, 1e16, 0.1],
    ],
)
def test_output_is_the_standard_librarys_compact_utf8(value: object) -> None:
    assert dumps(value) == standard(value)
    assert dumps_text(value) == standard(value).decode()


def test_sorted_keys() -> None:
    value = {"b": 1, "a": {"d": 2, "c": 3}}
    assert (
        dumps(value, sort_keys=True)
        == standard(value, sort_keys=True)
        == b'{"a":{"c":3,"d":2},"b":1}'
    )


def test_reads_text_and_bytes_and_what_only_the_standard_library_reads() -> None:
    assert loads('{"a": [1, "é"]}') == {"a": [1, "é"]}
    assert loads(b'{"a": 1}') == {"a": 1}
    assert loads('"\\ud800"') == "\ud800"
    assert loads('"x"'.encode("utf-16")) == "x"  # json detects UTF-16; orjson does not


def test_invalid_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        loads("{not json")
    with pytest.raises(ValueError):
        loads(b"\xff\xfe\x00")
