"""Task ids per dialect (app/domain/ids.py)."""

from __future__ import annotations

import pytest

from app.domain.ids import new_task_id


@pytest.mark.parametrize(
    ("dialect", "length"), [("novicezk", 16), ("webman", 19), ("discordxy", 19)]
)
def test_new_task_id_length_by_dialect(dialect: str, length: int) -> None:
    task_id = new_task_id(dialect, 1_713_497_101_123)
    assert len(task_id) == length and task_id.isdigit()
    assert task_id.startswith("1713497101123")
    assert int(new_task_id("novicezk", 1_713_497_101_123)) < 2**53  # exact as a JS number
