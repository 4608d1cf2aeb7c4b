"""The per-account cap is a database invariant: randomized trials with concurrent claimers.

8 claimers per trial race on one account, each holding its transaction open for a random while
between claim and commit (and sometimes rolling back), while completed tasks free slots. After
every trial the account's active tasks must not exceed its cap.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.leasing import lease_tasks
from db.statuses import ACTIVE_STATUSES
from db.urls import sqlalchemy_url

TRIALS = 10_000
CLAIMERS = 8
CAPS = {"cap1": 1, "cap3": 3, "cap12": 12}
ACTIVE = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)


async def _seed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for account_id, cap in CAPS.items():
            await conn.execute(
                text(
                    "INSERT INTO accounts (id, token, guild_id, channel_id, concurrency, owner,"
                    " fence, lease_expires_at) VALUES (:id, 'tok', 'g', 'c', :cap, 'w', 1,"
                    " now() + interval '1 hour')"
                ),
                {"id": account_id, "cap": cap},
            )
            # Enough pending tasks pinned to each account that no trial runs dry.
            await conn.execute(
                text(
                    "INSERT INTO tasks (id, dialect, action, account_id)"
                    " SELECT :id || '-' || g, 'novicezk', 'IMAGINE', :id"
                    " FROM generate_series(1, :n) g"
                ),
                {"id": account_id, "n": cap * 4 + CLAIMERS},
            )


async def _claim(engine: AsyncEngine, account_id: str, rng: random.Random) -> int:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        rows = await lease_tasks(
            conn, account_id=account_id, owner="w", fence=1, limit=rng.randint(1, 4)
        )
        # Hold the transaction open between claim and commit, as a slow worker would.
        await asyncio.sleep(rng.choice((0, 0, 0, 0.0005, 0.002)))
        if rng.random() < 0.15:
            await transaction.rollback()
            return 0
        await transaction.commit()
        return len(rows)


async def _active(engine: AsyncEngine, account_id: str) -> int:
    async with engine.connect() as conn:
        query = f"SELECT count(*) FROM tasks WHERE account_id = :a AND status IN ({ACTIVE})"
        return int((await conn.execute(text(query), {"a": account_id})).scalar_one())


async def _check_and_free(
    engine: AsyncEngine, account_id: str, rng: random.Random
) -> tuple[int, int]:
    """The account's active count (checked by the caller), then free some slots; one round."""
    async with engine.begin() as conn:
        query = f"SELECT count(*) FROM tasks WHERE account_id = :a AND status IN ({ACTIVE})"
        active = int((await conn.execute(text(query), {"a": account_id})).scalar_one())
        # Finished tasks go back to PENDING so the pool never empties (the cap sees statuses).
        await conn.execute(
            text(
                f"UPDATE tasks SET status = 'PENDING' WHERE id IN (SELECT id FROM tasks"
                f" WHERE account_id = :a AND status IN ({ACTIVE}) ORDER BY random() LIMIT :k)"
            ),
            {"a": account_id, "k": rng.randint(0, CAPS[account_id])},
        )
        freed_to = int((await conn.execute(text(query), {"a": account_id})).scalar_one())
    return active, freed_to


async def _run_trials(engine: AsyncEngine, account_id: str, trials: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    violations = []
    cap = CAPS[account_id]
    base, claimed = 0, [0]
    for trial in range(trials + 1):
        active, freed_to = await _check_and_free(engine, account_id, rng)
        # `active` is what the previous trial's concurrent claims left committed.
        if active > cap or base + sum(claimed) > cap:
            violations.append(f"{account_id} trial {trial - 1}: {base}+{sum(claimed)} > {cap}")
        if trial == trials:
            break
        base = freed_to
        claimed = await asyncio.gather(*(_claim(engine, account_id, rng) for _ in range(CLAIMERS)))
    return violations


@pytest.mark.timeout(400)
async def test_lease_cap_holds_under_concurrent_claimers(database_url: str) -> None:
    # No pre-ping on checkout: the trials are about the lease statements, not pool hygiene.
    size = CLAIMERS * len(CAPS) + len(CAPS)
    engine = create_async_engine(
        sqlalchemy_url(database_url), pool_size=size, max_overflow=0, pool_pre_ping=False
    )
    try:
        await _seed(engine)
        share = TRIALS // len(CAPS) + 1
        results = await asyncio.gather(
            *(_run_trials(engine, a, share, seed) for seed, a in enumerate(CAPS))
        )
        violations = [v for vs in results for v in vs]
        assert violations == []
        # The trials really filled the accounts (the test would be vacuous otherwise).
        for account_id, cap in CAPS.items():
            assert await _active(engine, account_id) <= cap
    finally:
        await engine.dispose()


async def test_lease_refuses_stale_fence_and_unhealthy_account(engine: AsyncEngine) -> None:
    await _seed(engine)
    async with engine.begin() as conn:
        assert await lease_tasks(conn, account_id="cap3", owner="w", fence=0) == []
        assert await lease_tasks(conn, account_id="cap3", owner="other", fence=1) == []
        await conn.execute(text("UPDATE accounts SET health = 'disabled' WHERE id = 'cap12'"))
        assert await lease_tasks(conn, account_id="cap12", owner="w", fence=1) == []
        rows = await lease_tasks(conn, account_id="cap3", owner="w", fence=1)
    assert len(rows) == 3
    assert {r["status"] for r in rows} == {"STARTED"}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # oldest first (same time: id)


async def test_lease_takes_unassigned_and_bot_matching_tasks_only(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, token, guild_id, channel_id, concurrency, owner, fence,"
                " bots) VALUES ('a', 't', 'g', 'c', 5, 'w', 1, ARRAY['pika']),"
                " ('someone-else', 't', 'g', 'c2', 5, NULL, 0, ARRAY['pika'])"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO tasks (id, dialect, action, bot, account_id) VALUES"
                " ('mj1', 'webman', 'IMAGINE', 'mj', NULL),"
                " ('p1', 'discordxy', 'CREATE', 'pika', NULL),"
                " ('p2', 'discordxy', 'CREATE', 'pika', 'someone-else')"
            )
        )
    async with engine.begin() as conn:
        rows = await lease_tasks(conn, account_id="a", owner="w", fence=1)
    assert [r["id"] for r in rows] == ["p1"]
