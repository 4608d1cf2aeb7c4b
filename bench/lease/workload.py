"""The claim + complete loop every system runs, and what one run measured.

A system under test (`LeaseSystem`) knows how to install its schema, seed pending jobs, and run
one *cycle* for a claimer: claim up to `cap` jobs, complete them, return how many it claimed.
`drive` runs one claimer per account concurrently until the jobs run out or time is up, so every
system sees the same number of concurrent claimers over the same number of connections.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from bench.cpu import CpuSplit

IDLE_SLEEP_S = 0.002


@dataclass(frozen=True)
class LeaseParams:
    accounts: int  # concurrent claimers, one per account
    cap: int  # mjrelay: each account's concurrency cap; baselines: jobs per claim
    tasks: int  # pending jobs seeded before each run
    rounds: int  # runs per system, interleaved across systems
    run_s: float  # a run stops after this long even if jobs remain
    connections: int  # database connections each system may open


FULL = LeaseParams(accounts=100, cap=3, tasks=40_000, rounds=3, run_s=6.0, connections=20)
SMOKE = LeaseParams(accounts=5, cap=3, tasks=90, rounds=1, run_s=10.0, connections=4)


class LeaseSystem(Protocol):
    name: str
    description: str

    async def install(self, url: str) -> None:
        """Create the system's schema in an empty database (the template of every run)."""

    async def seed(self, url: str, params: LeaseParams) -> None:
        """Insert `params.tasks` pending jobs (and mjrelay's accounts) into the template."""

    async def open(self, url: str, params: LeaseParams) -> None:
        """Open the connection pool, with every connection established before timing starts."""

    async def cycle(self, claimer: int) -> int:
        """Claim up to `cap` jobs for this claimer, complete them; the number claimed."""

    async def close(self) -> None: ...

    async def completed(self, url: str) -> int:
        """How many jobs the database holds as completed (each at most once)."""


@dataclass
class RunResult:
    system: str
    round: int
    leases: int
    elapsed_s: float
    cpu: CpuSplit | None = None
    completed_rows: int | None = None
    timeline: list[tuple[float, int]] = field(default_factory=list)
    waits: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.leases / self.elapsed_s if self.elapsed_s > 0 else 0.0


async def drive(system: LeaseSystem, params: LeaseParams, round_: int = 0) -> RunResult:
    """Run `params.accounts` claimers until the jobs are gone or `params.run_s` has passed."""
    timeline: list[tuple[float, int]] = []
    total = 0
    start = time.perf_counter()
    stop_at = start + params.run_s

    async def claimer(index: int) -> None:
        nonlocal total
        while time.perf_counter() < stop_at and total < params.tasks:
            claimed = await system.cycle(index)
            if claimed:
                total += claimed
                timeline.append((time.perf_counter() - start, claimed))
            else:
                await asyncio.sleep(IDLE_SLEEP_S)

    await asyncio.gather(*(claimer(i) for i in range(params.accounts)))
    elapsed = timeline[-1][0] if timeline else time.perf_counter() - start
    return RunResult(system.name, round_, total, elapsed, timeline=timeline)
