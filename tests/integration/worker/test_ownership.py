"""Account ownership between workers: fair sharing, takeover after the TTL, fencing."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.worker.ownership import OwnedAccount, Ownership
from app.worker.restart_backoff import RestartBackoff
from db import accounts as account_queries


async def _accounts(engine: AsyncEngine, n: int) -> None:
    async with engine.begin() as conn:
        for i in range(n):
            await account_queries.upsert_account(
                conn, {"id": f"a{i}", "token": f"tok-{i}", "guild_id": "1", "channel_id": str(i)}
            )


class Recorder:
    def __init__(self) -> None:
        self.running: dict[str, OwnedAccount] = {}
        self.started: list[tuple[str, int]] = []

    async def runner(self, account: OwnedAccount) -> None:
        self.started.append((account.id, account.fence))
        self.running[account.id] = account
        try:
            await asyncio.Event().wait()
        finally:
            self.running.pop(account.id, None)


async def test_two_workers_share_accounts_fairly(engine: AsyncEngine) -> None:
    await _accounts(engine, 4)
    one, two = Recorder(), Recorder()
    first = Ownership(engine, "w1", ttl_s=10, start_runner=one.runner)
    second = Ownership(engine, "w2", ttl_s=10, start_runner=two.runner)
    await first.tick()
    assert len(first.owned) == 4  # alone: takes everything
    await second.tick()  # registers; nothing free yet
    for _ in range(3):  # w1 hands back idle accounts, one per heartbeat; w2 picks them up
        await first.tick()
        await second.tick()
    await asyncio.sleep(0)
    assert len(first.owned) == 2 and len(second.owned) == 2
    assert set(one.running) | set(two.running) == {"a0", "a1", "a2", "a3"}
    assert not set(one.running) & set(two.running)
    await first._stop_all()
    await second._stop_all()


async def test_dead_worker_accounts_taken_over_after_ttl_with_new_fence(
    engine: AsyncEngine,
) -> None:
    await _accounts(engine, 2)
    old, new = Recorder(), Recorder()
    dead = Ownership(engine, "dead", ttl_s=2, start_runner=old.runner)
    await dead.tick()
    fences = {i: a.fence for i, a in dead.owned.items()}
    # The dead worker never ticks again. Its leases expire after the TTL.
    survivor = Ownership(engine, "alive", ttl_s=2, start_runner=new.runner)
    await survivor.tick()
    assert survivor.owned == {}
    await asyncio.sleep(2.2)
    await survivor.tick()
    assert set(survivor.owned) == {"a0", "a1"}
    for account_id, account in survivor.owned.items():
        assert account.fence == fences[account_id] + 1
    # The zombie wakes up: its renewal fails and it drops the accounts.
    await dead.tick()
    assert dead.owned == {}
    await asyncio.sleep(0)
    assert old.running == {}
    await survivor._stop_all()


async def test_disabled_account_is_dropped_and_not_claimed(engine: AsyncEngine) -> None:
    await _accounts(engine, 2)
    recorder = Recorder()
    worker = Ownership(engine, "w", ttl_s=10, start_runner=recorder.runner)
    await worker.tick()
    async with engine.begin() as conn:
        await account_queries.set_health(conn, "a1", "disabled", "banned")
    await worker.tick()
    assert set(worker.owned) == {"a0"}
    async with engine.connect() as conn:
        owner = (await conn.execute(text("SELECT owner FROM accounts WHERE id='a1'"))).scalar()
    assert owner is None
    await worker._stop_all()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_crashed_runner_is_restarted_after_its_backoff(engine: AsyncEngine) -> None:
    await _accounts(engine, 1)
    starts: list[str] = []

    async def flaky(account: OwnedAccount) -> None:
        starts.append(account.id)
        if len(starts) == 1:
            raise RuntimeError("boom")
        await asyncio.Event().wait()

    clock = FakeClock()
    backoff = RestartBackoff(base_s=5, cap_s=60)
    worker = Ownership(engine, "w", ttl_s=10, start_runner=flaky, backoff=backoff, clock=clock)
    await worker.tick()
    await asyncio.sleep(0.01)
    await worker.tick()  # the crash is seen: its backoff starts
    await asyncio.sleep(0.01)
    assert starts == ["a0"]
    clock.now += 5
    await worker.tick()
    await asyncio.sleep(0.01)
    assert starts == ["a0", "a0"]
    await worker._stop_all()


async def test_runner_failing_at_start_restarts_no_faster_than_its_backoff(
    engine: AsyncEngine,
) -> None:
    """Heartbeats every 1/3 s for 10 simulated minutes: starts follow 5, 10, 20… s, capped."""
    await _accounts(engine, 1)
    clock = FakeClock()
    starts: list[float] = []

    async def broken(account: OwnedAccount) -> None:
        starts.append(clock.now)
        raise RuntimeError("cannot connect")

    backoff = RestartBackoff(base_s=5, cap_s=60, healthy_s=600)
    worker = Ownership(engine, "w", ttl_s=1, start_runner=broken, backoff=backoff, clock=clock)
    heartbeat = 1 / 3
    await worker.tick()  # claims the account and starts its runner
    for _ in range(int(600 / heartbeat)):  # the restart step of each later heartbeat
        await asyncio.sleep(0)
        clock.now += heartbeat
        worker._restart_dead_runners()
    await worker._stop_all()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Without a backoff it would start every heartbeat (1,800 times).
    assert 10 <= len(starts) <= 16, starts
    for n, gap in enumerate(gaps, start=1):
        assert gap >= min(5 * 2 ** (n - 1), 60), (n, gaps)
    assert max(gaps) <= 60 + 2 * heartbeat  # the cap holds
