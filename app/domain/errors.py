"""Why a request cannot become a task. Dialects render each kind in their own envelope."""

from __future__ import annotations

import enum
from typing import Any


class ErrorKind(enum.StrEnum):
    INVALID = "invalid"  # a field is missing, mistyped or out of range
    BANNED = "banned"  # the prompt holds a banned word (details: word, prompt)
    IMAGE = "image"  # an input image is unreachable, too large, not an image, or not allowed
    TASK_NOT_FOUND = "task_not_found"  # the task named by the request does not exist
    PARENT_NOT_FOUND = "parent_not_found"
    PARENT_NOT_FINISHED = "parent_not_finished"
    BUTTON_NOT_FOUND = "button_not_found"  # the custom id is not on the parent's message
    ACTION_NOT_FOUND = "action_not_found"  # the custom id / action name means nothing to us
    ACTION_NOT_ALLOWED = "action_not_allowed"  # the parent cannot do that action
    WRONG_STATE = "wrong_state"  # e.g. modal input for a task that is not waiting for one
    UNAUTHORIZED = "unauthorized"
    QUEUE_FULL = "queue_full"  # every account's slots and queue are taken
    TOO_LARGE = "too_large"  # the request body is larger than the route takes
    ACCOUNT_NOT_FOUND = "account_not_found"  # no enabled account matches the request's filter
    # The client's API key is over a limit (daily, total, concurrency; details: retry_after).
    QUOTA_EXCEEDED = "quota_exceeded"
    RATE_LIMITED = "rate_limited"  # the key's request rate (details: retry_after seconds)
    # An Idempotency-Key already used with a different request.
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"


class CommandError(Exception):
    """A request that was refused; `message` is a one-line explanation for the client."""

    def __init__(self, kind: ErrorKind, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"CommandError({self.kind.value!r}, {self.message!r})"
