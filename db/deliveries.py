"""SQL for the callback outbox (`deliveries`): the producers' side.

Producers (every task state change with a notify URL) call `insert_delivery` and then
`notify_deliveries` in the transaction that changes the task, so the callback exists exactly when
the change does (transactional outbox); the NOTIFY is sent by PostgreSQL at commit.

The rest of a delivery's life has a module per intent: `db/delivery_claims.py` (the dispatcher
takes one due row), `db/delivery_attempts.py` (it records what the attempt came to) and
`db/redelivery.py` (an operator lists a task's callbacks and sends one again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CHANNEL = "mjrelay_deliveries"


# -- notify_deliveries: wake every dispatcher. Inside a transaction PostgreSQL sends it at COMMIT
# (and drops it on ROLLBACK), so a dispatcher never wakes for a row it cannot see yet.
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


async def notify_deliveries(conn: AsyncConnection) -> None:
    """Tell the dispatchers that deliveries were inserted (call after `insert_delivery`)."""
    await conn.execute(_NOTIFY)


def new_webhook_id() -> str:
    """A Standard Webhooks message id: stable for a delivery across all of its retries."""
    return f"msg_{uuid.uuid4().hex}"


# -- insert_delivery: one callback for one state change. `seq` defaults to the task's next number;
# producers already hold the task row's lock (they update it in the same transaction), so two
# changes of one task never pick the same number.
_INSERT = text(
    """
    INSERT INTO deliveries (task_id, seq, webhook_id, url, dialect, payload)
    VALUES (
        :task_id,
        coalesce(
            CAST(:seq AS integer),
            (SELECT coalesce(max(seq), 0) + 1 FROM deliveries WHERE task_id = :task_id)
        ),
        :webhook_id, :url, :dialect, :payload
    )
    RETURNING id, seq, webhook_id
    """
)
# The same with the dispatchers' NOTIFY in one statement (one round trip less per callback).
_INSERT_AND_NOTIFY = text(
    f"WITH d AS ({_INSERT.text}) SELECT d.*, pg_notify('{CHANNEL}', '') AS notified FROM d"
)


@dataclass(frozen=True)
class NewDelivery:
    id: int
    seq: int
    webhook_id: str


async def insert_delivery(
    conn: AsyncConnection,
    *,
    task_id: str,
    url: str,
    dialect: str,
    payload: bytes,
    seq: int | None = None,
    webhook_id: str | None = None,
    notify: bool = False,
) -> NewDelivery:
    """Queue a callback; `payload` is sent byte for byte. Due at once. `notify`: with the
    dispatchers' NOTIFY (`notify_deliveries`) in the same statement."""
    row = (
        await conn.execute(
            _INSERT_AND_NOTIFY if notify else _INSERT,
            {
                "task_id": task_id,
                "seq": seq,
                "webhook_id": webhook_id or new_webhook_id(),
                "url": url,
                "dialect": dialect,
                "payload": payload,
            },
        )
    ).one()
    return NewDelivery(id=row.id, seq=row.seq, webhook_id=row.webhook_id)
