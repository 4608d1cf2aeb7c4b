"""The error a dialect parser raises: the domain's CommandError (re-exported for dialects)."""

from __future__ import annotations

from app.domain.errors import CommandError, ErrorKind

__all__ = ["CommandError", "ErrorKind", "invalid"]


def invalid(message: str) -> CommandError:
    return CommandError(ErrorKind.INVALID, message)
