"""Experiments on mjrelay's lease, run only to measure a bottleneck — never the product's code.

Each variant changes one thing against the shipped `lease_tasks` loop and is run interleaved with
it on clones of the same template, so the difference is attributable to that one change:

- `claim by id array`: the claim's UPDATE matches `t.id = ANY(ARRAY(SELECT id FROM candidates))`
  instead of joining the CTE. The shipped form's LIMIT comes from a subquery, so the planner
  guesses 10 % of the table and hash-joins the CTE against a sequential scan of all tasks.
- `no pool pre-ping`: the same lease over an engine without `pool_pre_ping`, one round trip
  fewer per checkout (make_engine turns it on).
"""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import BenchContext
from bench.lease.ours import FENCE, OWNER, MjrelayLease, account_id, warm_pool
from bench.lease.workload import LeaseParams, drive
from bench.results import Table
from db import leasing
from db.urls import sqlalchemy_url

_JOIN = "FROM candidates c\n    WHERE t.id = c.id"
_BY_ARRAY = "WHERE t.id = ANY(ARRAY(SELECT id FROM candidates))"


def _claim_by_id_array() -> Any:
    claim = getattr(leasing, "_CLAIM_PENDING", None)  # gone when the lease's SQL was reshaped
    shipped = claim.text if claim is not None else ""
    if _JOIN not in shipped:  # the shipped statement changed: this experiment no longer applies
        return None
    return text(shipped.replace(_JOIN, _BY_ARRAY))


CLAIM_BY_ID_ARRAY = _claim_by_id_array()


class ClaimByIdArray(MjrelayLease):
    name = "claim by id array"
    finding = (
        "`claim_pending` joins its `candidates` CTE to `tasks`; the CTE's LIMIT comes from a"
        " subquery, so the planner expects 10 % of the table and hash-joins it against a"
        " sequential scan of every task row, finished ones included — a cost per claim that"
        " grows with the table (see the plans in the profile)"
    )

    async def cycle(self, claimer: int) -> int:
        assert self.engine is not None
        params: dict[str, Any] = {"account_id": account_id(claimer), "owner": OWNER, "fence": FENCE}
        async with self.engine.connect() as conn:
            async with conn.begin():
                account = (await conn.execute(leasing._LOCK_ACCOUNT, params)).one_or_none()
                if account is None:
                    return 0
                params.update(concurrency=account.concurrency, bots=list(account.bots))
                params["limit"] = self.cap
                rows = list((await conn.execute(CLAIM_BY_ID_ARRAY, params)).mappings())
            if rows:
                async with conn.begin():
                    await self._complete(conn, [row["id"] for row in rows])
        return len(rows)


class NoPrePing(MjrelayLease):
    name = "no pool pre-ping"
    finding = "`make_engine` pings every connection on checkout: one more round trip per cycle"

    async def open(self, url: str, params: LeaseParams) -> None:
        size = max(1, params.connections // 2)
        self.engine = create_async_engine(
            sqlalchemy_url(url), pool_size=size, max_overflow=size, pool_pre_ping=False
        )
        self.cap = params.cap
        await warm_pool(self.engine, params.connections)


VARIANTS: tuple[type[MjrelayLease], ...] = (
    (MjrelayLease, NoPrePing)
    if CLAIM_BY_ID_ARRAY is None
    else (MjrelayLease, ClaimByIdArray, NoPrePing)
)


SIGNIFICANT = 1.15


async def compare(
    ctx: BenchContext, params: LeaseParams, template: str, rounds: int
) -> tuple[Table, list[str]]:
    """Run the variants interleaved; the table, and a note per variant on what it showed."""
    rates: dict[str, list[float]] = {}
    findings: dict[str, str] = {}
    for _ in range(rounds):
        for variant in VARIANTS:
            system = variant()
            async with ctx.database("lease_experiment", template) as url:
                await system.open(url, params)
                try:
                    result = await drive(system, params)
                finally:
                    await system.close()
            label = "as shipped (lease_tasks)" if variant is MjrelayLease else system.name
            findings[label] = getattr(system, "finding", "")
            rates.setdefault(label, []).append(result.rate)
    shipped = statistics.median(rates["as shipped (lease_tasks)"])
    rows, notes = [], []
    for label, values in rates.items():
        median = statistics.median(values)
        ratio = median / shipped if shipped else 0.0
        runs = ", ".join(f"{v:,.0f}" for v in values)
        rows.append((label, f"{median:,.0f}", f"{ratio:.2f}×", runs))
        if not findings[label]:
            continue
        if ratio >= SIGNIFICANT:
            notes.append(f"**{label}: {ratio:.2f}× the shipped lease** — {findings[label]}.")
        else:
            notes.append(f"{label}: {ratio:.2f}×, not a bottleneck here ({findings[label]}).")
    table = Table(
        "Experiments: one change each, interleaved with the shipped lease (not product code)",
        ("variant", "leases/s (median)", "vs shipped", "runs"),
        tuple(rows),
    )
    return table, notes
