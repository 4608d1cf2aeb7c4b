"""Account reads for the HTTP API: every column a client may see — never `token`."""

from __future__ import annotations

from sqlalchemy import any_, func, or_, select
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


async def choose_filtered_account(
    conn: AsyncConnection, bot: str, instance_id: str | None, remark: str | None
) -> str | None:
    """The enabled account of `bot` a trueai `accountFilter` names: by id or channel id
    (`instanceId`), among those whose name contains `remark` (any case); of several, the one
    with the fewest active tasks. None when none matches."""
    query = select(accounts.c.id).where(
        accounts.c.enabled, accounts.c.health != "disabled", any_(accounts.c.bots) == bot
    )
    if instance_id is not None:
        query = query.where(or_(accounts.c.id == instance_id, accounts.c.channel_id == instance_id))
    if remark is not None:
        query = query.where(accounts.c.name.icontains(remark, autoescape=True))
    result = await conn.execute(query.order_by(_RUNNING, accounts.c.id).limit(1))
    return result.scalar()
