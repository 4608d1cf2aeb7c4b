"""SQL for admission: how full the queue is for a bot (or one account) when a task arrives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from db import driver
from db.statuses import ACTIVE, PENDING


@dataclass(frozen=True)
class QueueState:
    accounts: int  # usable accounts serving the bot
    slots: int  # their concurrency, summed
    capacity: int  # slots + their queue sizes
    running: int  # tasks holding a slot
    pending: int  # tasks waiting

    @property
    def ahead(self) -> int:
        """Tasks a new one waits behind before an account starts it (0: it starts at once).

        Without any usable account there is no queue to be in front of: 0 (it waits durably).
        """
        if self.accounts == 0:
            return 0
        return max(self.running + self.pending - self.slots + 1, 0)

    @property
    def full(self) -> bool:
        """True when accounts exist and their slots and queues are all taken."""
        return self.accounts > 0 and self.running + self.pending >= self.capacity


# -- queue_state: the accounts' room and the work already there. The work is counted up to the
# room's capacity only: `full` needs no more, and `ahead` (below capacity) is then exact, so a
# burst of pending tasks (or no account at all: capacity 0) costs a submit nothing beyond it.
_ROOM = """
    SELECT count(*) AS accounts, coalesce(sum(concurrency), 0) AS slots,
        coalesce(sum(concurrency + queue_size), 0) AS capacity
    FROM accounts
    WHERE enabled AND health <> 'disabled' AND $1 = ANY(bots)
"""
_WORK = f"""
    SELECT status FROM tasks
    WHERE status IN ({PENDING}, {ACTIVE}) AND bot = $1
"""

# -- the same for some accounts only (an `accountFilter`, a follow-up's account, an API key's
# accounts): their room, the tasks running on them, and the pending tasks that can run on none
# but them (pinned there, filtered to one of them, or of a key limited to some of them). Pending
# tasks free to run anywhere are not counted: other accounts take them (docs/keys.md).
_SOME_ROOM = f"""
    {_ROOM}
      AND id = ANY(CAST($2 AS text[]))
"""
_SOME_WORK = f"""
    {_WORK}
      AND (account_id = ANY(CAST($2 AS text[]))
           OR (status = {PENDING} AND account_id IS NULL
               AND (filter_account_id = ANY(CAST($2 AS text[]))
                    OR key_accounts <@ CAST($2 AS text[]))))
"""


def _state(room: str, work: str) -> str:
    """Room and work side by side in one statement: one round trip, one snapshot (a plain
    asyncpg prepared statement on its own: db/driver.py)."""
    return f"""
        WITH room AS ({room})
        SELECT room.accounts, room.slots, room.capacity,
            count(*) FILTER (WHERE work.status IN ({ACTIVE})) AS running,
            count(*) FILTER (WHERE work.status = {PENDING}) AS pending
        FROM room LEFT JOIN ({work} LIMIT (SELECT capacity FROM room)) AS work ON true
        GROUP BY room.accounts, room.slots, room.capacity
    """


_ALL = _state(_ROOM, _WORK)
_SOME = _state(_SOME_ROOM, _SOME_WORK)


async def queue_state(
    engine: AsyncEngine, bot: str, accounts: Sequence[str] | None = None
) -> QueueState:
    """The queue of every account serving `bot`, or of `accounts` only."""
    if accounts is None:
        row = await driver.fetchrow(engine, _ALL, bot)
    else:
        row = await driver.fetchrow(engine, _SOME, bot, list(accounts))
    assert row is not None  # an aggregate over `room`: always one row
    return QueueState(
        int(row["accounts"]),
        int(row["slots"]),
        int(row["capacity"]),
        int(row["running"]),
        int(row["pending"]),
    )
