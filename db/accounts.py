"""SQL for Discord accounts: registration, health, and the ownership lease workers hold.

Ownership: a worker owns an account while `owner` is its id and `lease_expires_at` is in the
future; it renews the lease with a heartbeat. Taking an account over (free, or its lease expired)
bumps `fence`, and every write a worker makes on the account's behalf carries the fence it got, so
a paused old owner that wakes up finds its writes refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from db.statuses import ACTIVE, PENDING
from db.tables import accounts
from db.tasks import storable

# Columns safe to show anywhere: everything but the token.
PUBLIC_COLUMNS = [c for c in accounts.c if c.name != "token"]

EDITABLE = {
    "name", "token", "guild_id", "channel_id", "user_agent", "bots", "mode", "concurrency",
    "queue_size", "task_timeout_s", "enabled", "sandbox", "api_base", "gateway_url",
    "remix_auto", "weight", "daily_job_cap", "working_hours",
}  # fmt: skip


async def upsert_account(conn: AsyncConnection, values: Mapping[str, Any]) -> RowMapping:
    """Insert an account or update the one with the same id; health resets to ok."""
    fields = {k: v for k, v in values.items() if k in EDITABLE or k == "id"}
    statement = insert(accounts).values(**fields)
    changes: dict[str, Any] = {k: statement.excluded[k] for k in fields if k != "id"}
    changes.update(health="ok", health_reason=None, health_since=func.now(), updated_at=func.now())
    statement = statement.on_conflict_do_update(index_elements=["id"], set_=changes)
    row = (await conn.execute(statement.returning(*PUBLIC_COLUMNS))).mappings().one()
    return row


async def list_accounts(conn: AsyncConnection) -> list[RowMapping]:
    rows = await conn.execute(select(*PUBLIC_COLUMNS).order_by(accounts.c.id))
    return list(rows.mappings())


async def get_account(conn: AsyncConnection, account_id: str) -> RowMapping | None:
    row = await conn.execute(select(*PUBLIC_COLUMNS).where(accounts.c.id == account_id))
    return row.mappings().one_or_none()


async def count_real_accounts(conn: AsyncConnection) -> int:
    query = select(func.count()).where(accounts.c.sandbox.is_(False), accounts.c.enabled)
    return int((await conn.execute(query)).scalar_one())


async def set_enabled(conn: AsyncConnection, account_id: str, enabled: bool) -> bool:
    """Enable or disable an account; enabling also clears a disabled health state."""
    if not storable(account_id):  # NUL or a lone surrogate: no account has that id
        return False
    values: dict[str, Any] = {"enabled": enabled, "updated_at": func.now()}
    if enabled:
        values.update(health="ok", health_reason=None, health_since=func.now())
    result = await conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(**values)
    )
    return bool(result.rowcount)


async def set_health(
    conn: AsyncConnection,
    account_id: str,
    health: str,
    reason: str | None,
    *,
    owner: str | None = None,
    fence: int | None = None,
) -> bool:
    """Record an account's health; with owner/fence, only while that lease is still current."""
    conditions = [accounts.c.id == account_id]
    if owner is not None:
        conditions += [accounts.c.owner == owner, accounts.c.fence == fence]
    result = await conn.execute(
        update(accounts)
        .where(*conditions)
        .values(health=health, health_reason=reason, health_since=func.now(), updated_at=func.now())
    )
    return bool(result.rowcount)


async def claim_accounts(
    conn: AsyncConnection, owner: str, ttl_s: float, limit: int
) -> list[RowMapping]:
    """Take up to `limit` usable accounts that are free or whose owner's lease expired.

    Returns full rows, token included: the caller is the worker that will connect with it.
    """
    if limit <= 0:
        return []
    claimable = (
        select(accounts.c.id)
        .where(
            accounts.c.enabled,
            accounts.c.health != "disabled",
            or_(
                accounts.c.owner.is_(None),
                accounts.c.lease_expires_at.is_(None),
                accounts.c.lease_expires_at < func.now(),
            ),
        )
        .order_by(accounts.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(accounts)
        .where(accounts.c.id.in_(claimable.scalar_subquery()))
        .values(
            owner=owner,
            fence=accounts.c.fence + 1,
            lease_expires_at=func.now() + text("make_interval(secs => :ttl)"),
            updated_at=func.now(),
        )
        .returning(*accounts.c)
    )
    rows = await conn.execute(statement, {"ttl": ttl_s})
    return list(rows.mappings())


async def renew_account_leases(
    conn: AsyncConnection, owner: str, fences: Mapping[str, int], ttl_s: float
) -> set[str]:
    """Extend the leases still held with the given fences on accounts still usable.

    Returns the ids renewed; a missing id is lost (taken over, disabled, or deleted).
    """
    if not fences:
        return set()
    held = or_(*(and_(accounts.c.id == i, accounts.c.fence == f) for i, f in fences.items()))
    statement = (
        update(accounts)
        .where(accounts.c.owner == owner, held, accounts.c.enabled, accounts.c.health != "disabled")
        .values(lease_expires_at=func.now() + text("make_interval(secs => :ttl)"))
        .returning(accounts.c.id)
    )
    return set((await conn.execute(statement, {"ttl": ttl_s})).scalars())


async def release_accounts(
    conn: AsyncConnection, owner: str, ids: Sequence[str] | None = None
) -> int:
    """Give accounts back (shutdown, or an account this worker should stop driving)."""
    conditions = [accounts.c.owner == owner]
    if ids is not None:
        conditions.append(accounts.c.id.in_(list(ids)))
    result = await conn.execute(
        update(accounts).where(*conditions).values(owner=None, lease_expires_at=None)
    )
    return int(result.rowcount)


async def usable_account_count(conn: AsyncConnection) -> int:
    query = select(func.count()).where(accounts.c.enabled, accounts.c.health != "disabled")
    return int((await conn.execute(query)).scalar_one())


# -- Hand-over of an account that left service (disabled by an operator or by its health).
# Its work is handed over by whichever worker finds it first, under a short lease of its own, so
# two workers never do it twice and a live owner (which still drives the account until its next
# heartbeat) is never raced: only an account nobody holds is taken.
_OUT_OF_SERVICE = "NOT (a.enabled AND a.health <> 'disabled')"
_UNHELD = "(a.owner IS NULL OR a.lease_expires_at IS NULL OR a.lease_expires_at < now())"

_TO_HAND_OVER = text(
    f"""
    SELECT a.id FROM accounts a
    WHERE {_OUT_OF_SERVICE} AND {_UNHELD}
      AND EXISTS (SELECT 1 FROM tasks t
                  WHERE t.account_id = a.id
                    AND t.status IN ({PENDING}, {ACTIVE}))
    ORDER BY a.id
    """
)


async def accounts_to_hand_over(conn: AsyncConnection) -> list[str]:
    """Out-of-service accounts nobody holds that still have tasks queued or in flight."""
    return list((await conn.execute(_TO_HAND_OVER)).scalars())


_CLAIM_FOR_HAND_OVER = text(
    f"""
    UPDATE accounts a
    SET owner = :owner, fence = a.fence + 1,
        lease_expires_at = now() + make_interval(secs => :ttl), updated_at = now()
    WHERE a.id = (SELECT id FROM accounts a WHERE a.id = :account_id
                  AND {_OUT_OF_SERVICE} AND {_UNHELD} FOR UPDATE SKIP LOCKED)
    RETURNING a.*
    """
)


async def claim_for_hand_over(
    conn: AsyncConnection, account_id: str, owner: str, ttl_s: float
) -> RowMapping | None:
    """Hold an out-of-service account for its hand-over; the full row (token included)."""
    params = {"account_id": account_id, "owner": owner, "ttl": ttl_s}
    return (await conn.execute(_CLAIM_FOR_HAND_OVER, params)).mappings().one_or_none()


async def release_lease(conn: AsyncConnection, account_id: str, owner: str, fence: int) -> bool:
    """Give back one account held with this exact lease (a newer holder keeps it)."""
    result = await conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id, accounts.c.owner == owner, accounts.c.fence == fence)
        .values(owner=None, lease_expires_at=None)
    )
    return bool(result.rowcount)
