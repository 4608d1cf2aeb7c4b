"""Field checks every dialect parser shares (pure). Each dialect words its own messages.

A refused field raises `CommandError(INVALID, message)`; the dialect renders it in its envelope
(`error_body`). The checks are the same in every dialect, the wording is not: Discordxy and
webman answer in English, novicezk in its clients' Chinese, so every message is the caller's.
"""

from __future__ import annotations

from typing import Any

from app.domain.callback_urls import callback_url_problem
from app.domain.errors import CommandError, ErrorKind


def invalid(message: str) -> CommandError:
    """The error of a request field that is missing or wrong."""
    return CommandError(ErrorKind.INVALID, message)


def json_object(body: Any, message: str) -> dict[str, Any]:
    """`body` when it is a JSON object (or a form read as one), else INVALID `message`."""
    if not isinstance(body, dict):
        raise invalid(message)
    return body


def required_text(body: dict[str, Any], name: str, *, missing: str, wrong: str) -> str:
    """The stripped string `body[name]`: absent, null or blank -> `missing`; not text -> `wrong`."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise invalid(missing)
    if not isinstance(value, str):
        raise invalid(wrong)
    return value.strip()


def bounded(text: str, limit: int, message: str) -> str:
    """`text` when it has at most `limit` characters, else INVALID `message`."""
    if len(text) > limit:
        raise invalid(message)
    return text


def notify_url(value: Any, wrong: str) -> str | None:
    """A callback URL field: absent or "" -> None; else it must be a usable http(s) URL
    (app/domain/callback_urls.py), refused as `"<wrong>: <why>"`."""
    if value is None or value == "":
        return None
    problem = callback_url_problem(value) if isinstance(value, str) else "not a string"
    if problem is not None:
        raise invalid(f"{wrong}: {problem}")
    return str(value)
