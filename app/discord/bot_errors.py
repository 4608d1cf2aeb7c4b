"""Classifying the bot's error embeds into task-level and account-level failures (spec §4.2).

Titles are more reliable than colours (spec §4.1), so the title decides; the colour only
decides what an unknown title means (red = task error, anything else = a notice).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.discord.events import AccountErrorKind, TaskErrorKind

RED = 16711680


@dataclass(frozen=True)
class TaskRule:
    kind: TaskErrorKind
    retryable: bool = False


@dataclass(frozen=True)
class AccountRule:
    kind: AccountErrorKind


JOB_QUEUED_TITLE = "job queued"

# Keys are lower-cased titles.
TITLE_RULES: dict[str, TaskRule | AccountRule] = {
    "queue full": TaskRule(TaskErrorKind.QUEUE_FULL, retryable=True),
    "banned prompt detected": TaskRule(TaskErrorKind.BANNED_PROMPT),
    "banned prompt": TaskRule(TaskErrorKind.BANNED_PROMPT),
    "banned image prompt": TaskRule(TaskErrorKind.BANNED_PROMPT),
    "invalid parameter": TaskRule(TaskErrorKind.INVALID_PARAMETER),
    "invalid prompt": TaskRule(TaskErrorKind.INVALID_PROMPT),
    "empty prompt": TaskRule(TaskErrorKind.INVALID_PROMPT),
    "invalid link": TaskRule(TaskErrorKind.INVALID_LINK),
    "invalid link!": TaskRule(TaskErrorKind.INVALID_LINK),
    "request cancelled due to output filters": TaskRule(TaskErrorKind.OUTPUT_FILTERED),
    "duplicate images detected": TaskRule(TaskErrorKind.DUPLICATE_IMAGES),
    "action needed to continue": TaskRule(TaskErrorKind.MODERATION_APPEAL),
    "job action restricted": TaskRule(TaskErrorKind.ACTION_RESTRICTED),
    "invalid request": TaskRule(TaskErrorKind.INVALID_REQUEST),
    "could not complete": TaskRule(TaskErrorKind.UNKNOWN, retryable=True),
    "pending mod message": AccountRule(AccountErrorKind.PENDING_MODERATION),
    "blocked": AccountRule(AccountErrorKind.BANNED),
    "plan cancelled": AccountRule(AccountErrorKind.NO_SUBSCRIPTION),
    "subscription required": AccountRule(AccountErrorKind.NO_SUBSCRIPTION),
    "subscription paused": AccountRule(AccountErrorKind.NO_SUBSCRIPTION),
    "credits exhausted": AccountRule(AccountErrorKind.OUT_OF_CREDITS),
    "fast hours used up": AccountRule(AccountErrorKind.OUT_OF_CREDITS),
    "action required to continue": AccountRule(AccountErrorKind.CAPTCHA),
    "please complete the task": AccountRule(AccountErrorKind.CAPTCHA),
    "tos not accepted": AccountRule(AccountErrorKind.TOS_NOT_ACCEPTED),
}

_ABUSE_ALERT = "triggered an abuse alert"


def classify_embed(
    title: str | None, description: str | None, color: int | None
) -> TaskRule | AccountRule | None:
    """The rule for an embed, or None when it is not an error (a notice or `Job queued`)."""
    key = " ".join((title or "").split()).lower()
    if key in TITLE_RULES:
        return TITLE_RULES[key]
    if _ABUSE_ALERT in (description or "").lower():
        return AccountRule(AccountErrorKind.UNDER_REVIEW)
    if key == JOB_QUEUED_TITLE:
        return None
    if color == RED:
        return TaskRule(TaskErrorKind.UNKNOWN)
    return None


def is_failure_content(content: str) -> bool:
    """Plain-text failures: 'Failed to process your command…' and friends (spec §4.1)."""
    return content.lstrip().startswith("Failed")


def is_captcha_iframe(title: str | None, iframe_path: str | None) -> bool:
    return (title or "").strip().lower() in {
        "action required to continue",
        "please complete the task",
    } or (iframe_path or "").startswith("/captcha/")
