"""When a runner leases again at once after a claim (app/worker/runner.py)."""

from __future__ import annotations

import pytest

from app.worker.runner import lease_again_at_once


@pytest.mark.parametrize(
    ("limit", "claimed", "batons", "room", "again"),
    [
        (1, 1, 0, 2, True),  # a backlog found by the poll, slots left: keep draining
        (1, 1, 3, 1, True),  # a burst: more notifications than this claim used
        (1, 1, 0, 0, False),  # the claim filled the last slot: a freed slot wakes it
        (1, 1, 1, 2, False),  # each claim answered its own notification (light load)
        (1, 0, 0, 3, False),  # nothing claimed: nothing more to find now
        (None, 3, 0, 3, False),  # fill-first claims all it can in one statement
    ],
)
def test_lease_again_at_once(
    limit: int | None, claimed: int, batons: int, room: int, again: bool
) -> None:
    assert lease_again_at_once(limit, claimed, batons, room) is again
