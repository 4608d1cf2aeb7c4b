"""Task statuses as SQL sees them, taken from the domain's `TaskStatus` (never retyped).

A statement names statuses through these constants, e.g. f"status IN ({ACTIVE})" or
f"status = {PENDING}", so a status renamed in app/domain/status.py cannot leave a stale literal
in a query.
"""

from __future__ import annotations

from app.domain.status import TaskStatus

_S = TaskStatus

# Statuses a task holds while an account works on it; they count against the account's cap.
ACTIVE_STATUSES = (_S.STARTED, _S.SUBMITTED, _S.MODAL, _S.RUNNING)
# Statuses the sweeper ends when they outlive their deadline (MODAL waits for the client).
WORKING_STATUSES = (_S.STARTED, _S.SUBMITTED, _S.RUNNING)
FINAL_STATUSES = (_S.SUCCESS, _S.FAILURE, _S.CANCEL)


def sql_list(*statuses: TaskStatus) -> str:
    """`'A', 'B'`: SQL string literals for `status IN (…)` or `status = …`."""
    return ", ".join(f"'{TaskStatus(s).value}'" for s in statuses)


PENDING = sql_list(_S.PENDING)
STARTED = sql_list(_S.STARTED)
MODAL = sql_list(_S.MODAL)
ACTIVE = sql_list(*ACTIVE_STATUSES)
WORKING = sql_list(*WORKING_STATUSES)
FINAL = sql_list(*FINAL_STATUSES)
