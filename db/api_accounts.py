"""Account reads for the HTTP API: every column a client may see — never `token`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import ACTIVE_STATUSES
from db.tables import accounts, tasks
from db.tasks import storable

_RUNNING = (
    select(func.count())
    .where(tasks.c.account_id == accounts.c.id, tasks.c.status.in_(ACTIVE_STATUSES))
    .scalar_subquery()
)
_PUBLIC = [c for c in accounts.columns if c.name != "token"]


async def list_public_accounts(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(
        select(*_PUBLIC, _RUNNING.label("running")).order_by(accounts.c.created_at, accounts.c.id)
    )
    return list(result.mappings())


async def get_public_account(conn: AsyncConnection, account_id: str) -> RowMapping | None:
    if not storable(account_id):
        return None
    result = await conn.execute(
        select(*_PUBLIC, _RUNNING.label("running")).where(accounts.c.id == account_id)
    )
    return result.mappings().first()
