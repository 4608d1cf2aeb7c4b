"""The field checks every dialect shares (app/dialects/fields.py): same rule, caller's words."""

from __future__ import annotations

from typing import Any

import pytest

from app.dialects.fields import bounded, json_object, notify_url, required_text
from app.domain.errors import CommandError, ErrorKind


def _message(call: Any) -> str:
    with pytest.raises(CommandError) as caught:
        call()
    assert caught.value.kind == ErrorKind.INVALID
    return caught.value.message


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_json_object_refuses_what_is_not_an_object_in_the_callers_words(body: Any) -> None:
    assert _message(lambda: json_object(body, "body must be an object")) == "body must be an object"
    assert json_object({"a": 1}, "unused") == {"a": 1}


@pytest.mark.parametrize("value", [None, "", "   "])
def test_required_text_missing(value: Any) -> None:
    body = {} if value is None else {"prompt": value}
    assert _message(lambda: required_text(body, "prompt", missing="M", wrong="W")) == "M"


@pytest.mark.parametrize("value", [1, ["a"], {"a": 1}, True])
def test_required_text_not_text(value: Any) -> None:
    body = {"prompt": value}
    assert _message(lambda: required_text(body, "prompt", missing="M", wrong="W")) == "W"


def test_required_text_is_stripped() -> None:
    assert required_text({"prompt": "  a cat \n"}, "prompt", missing="M", wrong="W") == "a cat"


def test_bounded_counts_characters() -> None:
    assert bounded("猫" * 3, 3, "too long") == "猫" * 3
    assert _message(lambda: bounded("猫" * 4, 3, "too long")) == "too long"


@pytest.mark.parametrize("value", [None, ""])
def test_notify_url_absent_is_none(value: Any) -> None:
    assert notify_url(value, "notifyUrl is invalid") is None


def test_notify_url_usable_is_kept() -> None:
    assert notify_url("https://example.com/hook", "x") == "https://example.com/hook"


@pytest.mark.parametrize(
    ("value", "why"), [(5, "not a string"), ("ftp://example.com/h", ""), ("not a url", "")]
)
def test_notify_url_refusal_names_the_field_and_the_reason(value: Any, why: str) -> None:
    message = _message(lambda: notify_url(value, "notifyUrl is invalid"))
    assert message.startswith("notifyUrl is invalid: ") and len(message) > len(
        "notifyUrl is invalid: "
    )
    assert why in message
