"""Task statuses and the allowed transitions between them (a table, h11-style).

    PENDING ──► STARTED ──► SUBMITTED ──► RUNNING ──► SUCCESS
       ▲  │        │            │            │
       │  │        └────────────┴────────────┴──► FAILURE / CANCEL
       │  └──► MODAL (waiting for the client's modal input: plus `/mj/submit/modal`)
       └──────── requeue (lease lost, account moved) from STARTED / SUBMITTED / RUNNING

SUCCESS, FAILURE and CANCEL are final: nothing leaves them.
"""

from __future__ import annotations

import enum


class TaskStatus(enum.StrEnum):
    PENDING = "PENDING"  # accepted, waiting for an account with a free slot
    STARTED = "STARTED"  # leased by an account; uploads / interaction in flight
    SUBMITTED = "SUBMITTED"  # Discord accepted the interaction
    MODAL = "MODAL"  # waiting for modal input from the client (CustomZoom, Vary Region …)
    RUNNING = "RUNNING"  # the bot is working (progress updates)
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"


FINAL_STATUSES = frozenset({TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCEL})

_S = TaskStatus
# from -> statuses it may move to. A status may always "move" to itself (progress, correlation).
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    _S.PENDING: frozenset({_S.STARTED, _S.SUBMITTED, _S.RUNNING, _S.MODAL, _S.FAILURE, _S.CANCEL}),
    _S.STARTED: frozenset(
        {_S.PENDING, _S.SUBMITTED, _S.RUNNING, _S.MODAL, _S.SUCCESS, _S.FAILURE, _S.CANCEL}
    ),
    _S.SUBMITTED: frozenset(
        {_S.PENDING, _S.STARTED, _S.RUNNING, _S.MODAL, _S.SUCCESS, _S.FAILURE, _S.CANCEL}
    ),
    _S.MODAL: frozenset({_S.PENDING, _S.STARTED, _S.SUBMITTED, _S.FAILURE, _S.CANCEL}),
    _S.RUNNING: frozenset({_S.PENDING, _S.SUCCESS, _S.FAILURE, _S.CANCEL}),
    _S.SUCCESS: frozenset(),
    _S.FAILURE: frozenset(),
    _S.CANCEL: frozenset(),
}

# The reason text every dialect uses for a task that ran out of time.
TIMEOUT_REASON = "任务超时"


def can_transition(current: TaskStatus | str, new: TaskStatus | str) -> bool:
    current, new = TaskStatus(current), TaskStatus(new)
    if current in FINAL_STATUSES:
        return False
    return new == current or new in TRANSITIONS[current]


def is_final(status: TaskStatus | str) -> bool:
    return TaskStatus(status) in FINAL_STATUSES
