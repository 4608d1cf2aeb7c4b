"""SQL for an account's Midjourney state (/info, /settings) and its speed-mode bookkeeping.

niji・journey's own state (its /info and /settings) goes to the `niji_*` columns (`bot=Bot.NIJI`).

Writes by the worker carry the account lease (owner + fence), like every other write it makes on
an account's behalf: a paused ex-owner's stale reading is refused. Column meanings:
docs/accounts.md.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from app.domain.account_state import AccountState
from app.domain.actions import Bot
from app.domain.speed import SPEED_MODES
from db import gpu_time
from db.tables import accounts
from db.tasks import storable

# Fast time at or below this many minutes counts as exhausted (Midjourney refuses fast jobs well
# before the counter reads zero; trueai uses 0.2 h).
EXHAUSTED_MINUTES = 12.0


def _owned(account_id: str, owner: str | None, fence: int | None) -> list[Any]:
    conditions = [accounts.c.id == account_id]
    if owner is not None:
        conditions += [accounts.c.owner == owner, accounts.c.fence == fence]
    return conditions


async def record_account_state(
    conn: AsyncConnection,
    account_id: str,
    state: AccountState,
    *,
    owner: str | None = None,
    fence: int | None = None,
    bot: Bot = Bot.MJ,
) -> bool:
    """Store a reading of `bot`'s /info or /settings; fields it lacks keep their value.

    A Midjourney reading with fast time sets `fast_exhausted` from it (so time bought again is
    noticed). A niji reading sets only niji's columns.
    """
    values: dict[str, Any]
    where = _owned(account_id, owner, fence)
    if bot == Bot.NIJI:
        values = {**state.niji_columns(), "niji_state_read_at": func.now()}
    else:
        values = state.columns()
        if state.fast_minutes_left is not None:
            values["fast_exhausted"] = state.fast_minutes_left <= EXHAUSTED_MINUTES
            values["fast_read_at"] = func.now()
            if await _still_owned(conn, where):
                await gpu_time.attribute_fast_time(conn, account_id, state.fast_minutes_left)
        values["state_read_at"] = func.now()
    values["updated_at"] = func.now()
    result = await conn.execute(update(accounts).where(*where).values(**values))
    return bool(result.rowcount)


async def _still_owned(conn: AsyncConnection, where: list[Any]) -> bool:
    """Lock the account row if the lease still holds (a stale owner's reading counts nothing)."""
    query = select(accounts.c.id).where(*where).with_for_update()
    return (await conn.execute(query)).first() is not None


async def set_job_mode(
    conn: AsyncConnection,
    account_id: str,
    mode: str,
    *,
    owner: str | None = None,
    fence: int | None = None,
    bot: Bot = Bot.MJ,
) -> bool:
    """`bot` is now in `mode` on the account (its /fast, /relax or /turbo answered `Done!`)."""
    if mode not in SPEED_MODES:
        raise ValueError(f"unknown speed mode {mode!r}")
    column = "niji_job_mode" if bot == Bot.NIJI else "job_mode"
    result = await conn.execute(
        update(accounts)
        .where(*_owned(account_id, owner, fence))
        .values({column: mode, "updated_at": func.now()})
    )
    return bool(result.rowcount)


async def mark_fast_exhausted(
    conn: AsyncConnection,
    account_id: str,
    exhausted: bool = True,
    *,
    owner: str | None = None,
    fence: int | None = None,
) -> bool:
    """Midjourney answered "Credits exhausted" (or an operator reset it): fast/turbo tasks go to
    other accounts; the account keeps serving relax."""
    values: dict[str, Any] = {"fast_exhausted": exhausted, "updated_at": func.now()}
    if exhausted:  # not a reading: the next one starts a new window (db/gpu_time.py)
        values["fast_minutes_left"] = 0.0
        values["fast_read_at"] = None
    result = await conn.execute(
        update(accounts).where(*_owned(account_id, owner, fence)).values(**values)
    )
    return bool(result.rowcount)


async def set_account_controls(
    conn: AsyncConnection,
    account_id: str,
    *,
    mode: str | None = None,
    remix_auto: bool | None = None,
    remix_wanted: bool | None = None,
) -> bool:
    """The operator's choices (admin route, CLI): the default speed mode, remix auto-submit,
    the wished Remix state.

    The worker puts an idle account in its default mode before its next task that asks none.
    """
    if not storable(account_id):
        return False
    values: dict[str, Any] = {"updated_at": func.now()}
    if mode is not None:
        if mode not in SPEED_MODES:
            raise ValueError(f"unknown speed mode {mode!r}")
        values["mode"] = mode
    if remix_auto is not None:
        values["remix_auto"] = remix_auto
    if remix_wanted is not None:
        values["remix_wanted"] = remix_wanted
    result = await conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(**values)
    )
    return bool(result.rowcount)


_STATE_COLUMNS = [
    accounts.c.id, accounts.c.mode, accounts.c.job_mode, accounts.c.remix, accounts.c.remix_auto,
    accounts.c.fast_time_remaining, accounts.c.fast_minutes_left, accounts.c.fast_exhausted,
    accounts.c.subscription, accounts.c.queued_jobs, accounts.c.running_jobs, accounts.c.info,
    accounts.c.settings, accounts.c.state_read_at, accounts.c.remix_wanted,
    accounts.c.niji_job_mode, accounts.c.niji_remix, accounts.c.niji_info, accounts.c.niji_settings,
    accounts.c.niji_state_read_at, accounts.c.bots,
]  # fmt: skip


# Built once: SQLAlchemy keeps a statement object's cache key (a new select per call is keyed
# again each time).
_STATE = select(*_STATE_COLUMNS).where(accounts.c.id == bindparam("account_id"))
_STATE_FOR_LEASE = _STATE.where(
    accounts.c.owner == bindparam("owner"),
    accounts.c.fence == bindparam("fence"),
    accounts.c.enabled,
    accounts.c.health == "ok",
).with_for_update()


async def get_account_state(conn: AsyncConnection, account_id: str) -> RowMapping | None:
    """The state columns of one account (no token)."""
    if not storable(account_id):
        return None
    return (await conn.execute(_STATE, {"account_id": account_id})).mappings().one_or_none()


async def lock_for_lease(
    conn: AsyncConnection, account_id: str, *, owner: str, fence: int
) -> RowMapping | None:
    """The account's state with its row locked for a lease (`leasing.lease_tasks(locked=True)`),
    when this owner holds it under this fence and it is enabled and healthy; else None."""
    if not storable(account_id):
        return None
    params = {"account_id": account_id, "owner": owner, "fence": fence}
    return (await conn.execute(_STATE_FOR_LEASE, params)).mappings().one_or_none()


# Jobs an account started since midnight UTC: its daily cap counts these.
_JOBS_TODAY = text(
    """
    SELECT count(*) FROM tasks
    WHERE account_id = :account_id AND start_time IS NOT NULL
      AND start_time >= (extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC')
                                 AT TIME ZONE 'UTC') * 1000)::bigint
    """
)


async def jobs_today(conn: AsyncConnection, account_id: str) -> int:
    return int((await conn.execute(_JOBS_TODAY, {"account_id": account_id})).scalar_one())
