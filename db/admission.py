"""SQL for admission: how full the queue is for a bot (or one account) when a task arrives."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

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


# -- queue_state: the accounts' room and the work already there (pending rows are few: the
# partial index keeps that count cheap however many finished tasks exist).
_ROOM = text(
    """
    SELECT count(*), coalesce(sum(concurrency), 0), coalesce(sum(concurrency + queue_size), 0)
    FROM accounts
    WHERE enabled AND health <> 'disabled' AND :bot = ANY(bots)
      AND (CAST(:account_id AS text) IS NULL OR id = :account_id)
    """
)
_WORK = text(
    f"""
    SELECT count(*) FILTER (WHERE status IN ({ACTIVE})), count(*) FILTER (WHERE status = {PENDING})
    FROM tasks
    WHERE status IN ({PENDING}, {ACTIVE}) AND bot = :bot
      AND (CAST(:account_id AS text) IS NULL OR account_id = :account_id)
    """
)


async def queue_state(conn: AsyncConnection, bot: str, account_id: str | None = None) -> QueueState:
    params = {"bot": bot, "account_id": account_id}
    accounts, slots, capacity = (await conn.execute(_ROOM, params)).one()
    running, pending = (await conn.execute(_WORK, params)).one()
    return QueueState(int(accounts), int(slots), int(capacity), int(running), int(pending))
