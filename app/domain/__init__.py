"""The canonical task model: pure values and rules, no I/O (see design.md "Layers")."""

from __future__ import annotations

from app.domain.actions import BUTTON_ACTIONS, MODAL_ACTIONS, Action, Bot
from app.domain.banned import BannedWords
from app.domain.buttons import ButtonRef, classify
from app.domain.errors import CommandError, ErrorKind
from app.domain.ids import new_task_id
from app.domain.status import (
    FINAL_STATUSES,
    TIMEOUT_REASON,
    TRANSITIONS,
    TaskStatus,
    can_transition,
    is_final,
)
from app.domain.task import Task

__all__ = [
    "BUTTON_ACTIONS",
    "FINAL_STATUSES",
    "MODAL_ACTIONS",
    "TIMEOUT_REASON",
    "TRANSITIONS",
    "Action",
    "BannedWords",
    "Bot",
    "ButtonRef",
    "CommandError",
    "ErrorKind",
    "Task",
    "TaskStatus",
    "can_transition",
    "classify",
    "is_final",
    "new_task_id",
]
