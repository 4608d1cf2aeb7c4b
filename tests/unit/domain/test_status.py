"""The task statuses and their transition table (app/domain/status.py)."""

from __future__ import annotations

import pytest

from app.domain.status import TRANSITIONS, TaskStatus, can_transition, is_final


def test_transitions_final_statuses_never_move() -> None:
    for final in (TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.CANCEL):
        assert is_final(final)
        assert not any(can_transition(final, s) for s in TaskStatus)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("PENDING", "STARTED", True),
        ("STARTED", "SUBMITTED", True),
        ("SUBMITTED", "RUNNING", True),
        ("RUNNING", "RUNNING", True),
        ("RUNNING", "SUCCESS", True),
        ("RUNNING", "PENDING", True),
        ("MODAL", "PENDING", True),
        ("RUNNING", "STARTED", False),
        ("RUNNING", "MODAL", False),
        ("PENDING", "SUCCESS", False),
    ],
)
def test_transitions_table(current: str, new: str, allowed: bool) -> None:
    assert can_transition(current, new) is allowed


def test_transitions_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(TaskStatus)
