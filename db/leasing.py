"""SQL for leasing tasks to accounts: the per-account concurrency cap lives here, in the database.

`lease_tasks` is the one statement that moves tasks from PENDING to STARTED on an account (the
claimer records that change through app/taskstore.py in the same transaction; the other writes
here are lease bookkeeping without an event, see there). Its invariants, each enforced by SQL
rather than by a worker's memory:

- cap: an account never has more than `concurrency` tasks in STARTED/SUBMITTED/MODAL/RUNNING.
  The account row is locked (`FOR UPDATE`) first, so two claimers of one account run one after
  the other, and the second counts the first one's committed claims — also when a transaction is
  held open between claim and commit, and also across worker processes.
- ownership: only the worker holding the account's current lease (owner + fence) claims, so a
  paused ex-owner claims nothing after a takeover.
- health: a disabled or unhealthy account claims nothing.
- order: oldest pending first; tasks pinned to this account (follow-ups on its messages) or
  unassigned ones; other workers' locked candidates are skipped (`SKIP LOCKED`), not waited on.

The worker's reads of the tasks it leased (counts, in-flight rows, overdue and stale ones) are in
db/task_scans.py; every write a lease makes to a task row is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db import driver
from db import lease_rules as rules
from db.statuses import ACTIVE, PENDING, STARTED

# -- lock_account_for_lease: the gate. Waits for any other claimer of this account to commit.
# It must be its own statement: in READ COMMITTED each statement takes a fresh snapshot, so the
# count in the claim below (a later statement) sees every claim committed while we waited.
_LOCK_ACCOUNT = text(
    """
    SELECT id FROM accounts
    WHERE id = :account_id AND owner = :owner AND fence = :fence AND enabled AND health = 'ok'
    FOR UPDATE
    """
)


# -- claim: oldest pending tasks for this account, up to its free slots and its daily cap.
# A separate statement from the lock above, so its snapshot (READ COMMITTED) is taken after the
# lock was granted and the count sees every claim committed meanwhile. The claim matches
# `id = ANY(ARRAY(…))` so the update never joins all of `tasks`, and the pending-only index
# keeps the scan to pending rows however many finished tasks the table holds.
# Account rules (db/lease_rules.py, docs/accounts.md): a task is taken in the account's current
# mode for its bot (`mode`, else its job_mode, else its default; niji's: `niji_mode`, else its
# niji_job_mode, else the default) when it accepts that mode; an account out of
# fast time takes fast-only tasks (in relax) only with the fallback and when no account with fast
# time could; an unpinned task younger than `wait_s` is left to an account that fits it now and
# comes first by the account choice. With `switch`, an idle account takes one task it can run
# only after a mode switch, when no live account already in a fitting mode has room for it.
_JOBS_TODAY = (
    "(SELECT count(*) FROM tasks d WHERE d.account_id = a.id AND d.start_time >= "
    "(extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    " * 1000)::bigint)"
)


def _claim_sql(choice: str, *, switch: bool) -> str:
    mode = rules.bot_mode("c", "me", "CAST(:mode AS text)", "CAST(:niji_mode AS text)")
    fallback = (
        f"(CAST(:fallback AS boolean) AND me.fast_exhausted AND {rules.only_paid('c')}"
        f" AND {rules.no_fast_account('c', 'me')})"
    )
    accepted = f"{rules.accepts('c', 'me', mode)} AND {rules.can_run('me', mode)}"
    if switch:  # only tasks the current mode cannot run: those the plain claim takes
        runnable = (
            f"me.active_now = 0 AND NOT ({accepted}) AND (CASE"
            f" WHEN c.request_mode IS NOT NULL THEN {rules.can_run('me', 'c.request_mode')}"
            " WHEN c.filter_modes IS NOT NULL"
            " THEN NOT me.fast_exhausted OR 'relax' = ANY(c.filter_modes)"
            f" ELSE true END OR {fallback})"
        )
        limit = "least(CAST(:limit AS integer), 1)"
    else:
        runnable = f"(({accepted}) OR {fallback})"
        limit = (
            "(SELECT least(:limit, greatest(m.concurrency - m.active_now, 0), m.cap_left)"
            " FROM me m)"
        )
    deferred = rules.deferred("c", "me", choice, "me.active_now", switching=switch)
    return f"""
    WITH me AS (
        SELECT a.*, {rules.active("a")} AS active_now,
               CASE WHEN a.daily_job_cap IS NULL THEN 2147483647
                    ELSE greatest(a.daily_job_cap - {_JOBS_TODAY}, 0) END AS cap_left
        FROM accounts a WHERE a.id = :account_id
    ), claimed AS (
    UPDATE tasks t
    SET status = {STARTED}, account_id = :account_id, leased_by = :owner, fence = :fence,
        start_time = coalesce(t.start_time, (extract(epoch FROM clock_timestamp()) * 1000)::bigint),
        updated_at = now()
    WHERE t.id = ANY(ARRAY(
        SELECT c.id FROM tasks c CROSS JOIN me
        WHERE c.status = {PENDING}
          AND (c.account_id IS NULL OR c.account_id = :account_id)
          AND {rules.in_hours("me")}
          AND {rules.takes("c", "me")}
          AND {runnable}
          AND (c.account_id = :account_id
               OR c.created_at < now() - make_interval(secs => CAST(:wait_s AS double precision))
               OR NOT {deferred})
        ORDER BY c.created_at, c.id
        LIMIT {limit}
        FOR UPDATE OF c SKIP LOCKED
    ))
    RETURNING t.*
    ), touched AS (  -- when it last leased (the round robin's order); its row is locked already
        UPDATE accounts SET last_leased_at = now()
        WHERE id = :account_id AND EXISTS (SELECT 1 FROM claimed)
    )
    SELECT * FROM claimed
    """


_CLAIM_PARAMS = ["account_id", "owner", "fence", "limit", "mode", "fallback", "wait_s", "niji_mode"]
_CLAIMS = {
    (choice, switch): driver.positional(_claim_sql(choice, switch=switch), _CLAIM_PARAMS)
    for choice in rules.ACCOUNT_CHOICES
    for switch in (False, True)
}


@dataclass(frozen=True, kw_only=True)
class LeasePolicy:
    """How a runner leases (settings): the account choice, the relax fallback, and how long an
    unpinned task waits for the account the choice prefers before any fitting one takes it."""

    choice: str = "least-busy"
    fallback_relax: bool = False
    wait_s: float = 3.0


DEFAULT_POLICY = LeasePolicy()
NO_LIMIT = 1000  # a claim's own limit when the caller sets none (the cap still applies)


async def lease_tasks(
    conn: AsyncConnection,
    *,
    account_id: str,
    owner: str,
    fence: int,
    limit: int = NO_LIMIT,
    mode: str | None = None,
    switch: bool = False,
    policy: LeasePolicy = DEFAULT_POLICY,
    niji_mode: str | None = None,
    locked: bool = False,
) -> list[dict[str, Any]]:
    """Claim pending tasks for one account within its cap; returns the claimed rows (STARTED).

    `mode`: the mode the account runs in now (None: its job_mode, else its default), `niji_mode`
    the same for niji・journey's tasks (its niji_job_mode; the bot keeps its own); `switch`:
    claim at most one task that needs another mode (the caller switches first; only when idle).
    Run inside a transaction; the claims count against the cap from the moment they commit.
    `locked`: the caller locked the account's row in it already (`account_state.lock_for_lease`).
    The lock goes through SQLAlchemy, which opens the caller's transaction on the driver; the
    claim, the hot part, goes to asyncpg directly (a prepared statement, no SQLAlchemy
    compilation or result processing) inside that same transaction.
    """
    params = {"account_id": account_id, "owner": owner, "fence": fence}
    if not locked and (await conn.execute(_LOCK_ACCOUNT, params)).one_or_none() is None:
        return []
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None and raw.is_in_transaction(), "lease_tasks needs a transaction"
    statement = _CLAIMS[(policy.choice, switch)]
    rows = await raw.fetch(
        statement,
        account_id, owner, fence, limit, mode, policy.fallback_relax, policy.wait_s, niji_mode,
    )  # fmt: skip
    return [dict(row) for row in rows]


# -- adopt_tasks: a new owner takes over an account's in-flight tasks under its own fence.
_ADOPT = text(
    f"""
    UPDATE tasks SET leased_by = :owner, fence = :fence, updated_at = now()
    WHERE account_id = :account_id AND status IN ({ACTIVE})
      AND EXISTS (SELECT 1 FROM accounts a
                  WHERE a.id = :account_id AND a.owner = :owner AND a.fence = :fence)
    RETURNING *
    """
)


async def adopt_tasks(
    conn: AsyncConnection, *, account_id: str, owner: str, fence: int
) -> list[RowMapping]:
    params = {"account_id": account_id, "owner": owner, "fence": fence}
    return list((await conn.execute(_ADOPT, params)).mappings())


# -- unassign_queued: an unhealthy account's queued (not yet started) work goes back to the pool.
# Follow-ups pinned to it stay: their parent message only exists on that account.
_UNASSIGN = text(
    f"""
    UPDATE tasks SET account_id = NULL, updated_at = now()
    WHERE account_id = :account_id AND status = {PENDING} AND parent_id IS NULL
    RETURNING id
    """
)


async def unassign_queued(conn: AsyncConnection, account_id: str) -> Sequence[str]:
    return list((await conn.execute(_UNASSIGN, {"account_id": account_id})).scalars())


# -- mark_submitting: record the nonce *before* the interaction goes out (fenced).
# After a crash the next owner finds the nonce and looks for it on Discord before it would
# ever resubmit, which is how one task is never submitted twice.
_MARK_SUBMITTING = f"""
    UPDATE tasks SET nonce = $4, submit_attempts = submit_attempts + 1, updated_at = now()
    WHERE id = $1 AND leased_by = $2 AND fence = $3 AND status = {STARTED}
    RETURNING submit_attempts
"""


async def mark_submitting(
    engine: AsyncEngine, *, task_id: str, owner: str, fence: int, nonce: str
) -> int | None:
    """The task's submit attempt count, or None when this worker no longer holds it. One
    statement committed on its own (db/driver.py: no BEGIN, no COMMIT round trip)."""
    row = await driver.fetchrow(engine, _MARK_SUBMITTING, task_id, owner, fence, nonce)
    return None if row is None else int(row["submit_attempts"])
