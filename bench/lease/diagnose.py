"""When a lease target is missed: where did mjrelay's time go? Written to docs/bench/.

Three views, attached as `docs/bench/lease-profile.txt`:
- the CPU split of the measured runs (client process vs PostgreSQL, per lease);
- a pyinstrument profile of one extra mjrelay run (sampling the event loop thread, so time
  spent waiting for PostgreSQL shows up as the selector's wait), grouped by package;
- EXPLAIN ANALYZE of the lease statements on a freshly seeded clone.
"""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.harness import BenchContext
from bench.lease import experiments
from bench.lease.ours import FENCE, OWNER, MjrelayLease, account_id
from bench.lease.workload import LeaseParams, RunResult, drive
from bench.results import Table
from db import leasing
from db.engine import make_engine

PROFILE_FILE = "lease-profile.txt"
PROFILE_RUN_S = 5.0
_PACKAGES = ("sqlalchemy", "asyncpg", "asyncio", "selectors", "greenlet")


def cpu_lines(results: list[RunResult]) -> list[str]:
    lines = []
    by: dict[str, list[RunResult]] = defaultdict(list)
    for r in results:
        if r.cpu is not None and r.leases:
            by[r.system].append(r)
    for name, runs in by.items():
        client = statistics.median(r.cpu.client_s / r.cpu.wall_s for r in runs if r.cpu)
        per_lease = statistics.median(r.cpu.client_s * 1e6 / r.leases for r in runs if r.cpu)
        line = f"{name}: client process {client:.0%} of one core, {per_lease:,.0f} µs/lease"
        servers = [r for r in runs if r.cpu and r.cpu.server_s is not None]
        if servers:
            server = statistics.median(r.cpu.server_s / r.cpu.wall_s for r in servers)  # type: ignore[operator]
            srv_lease = statistics.median(r.cpu.server_s * 1e6 / r.leases for r in servers)  # type: ignore[operator]
            line += f"; PostgreSQL {server:.0%} of one core, {srv_lease:,.0f} µs/lease"
        lines.append(line)
    return lines


_WAITS = ("epoll.poll", "poll.poll", "select.select", "kqueue.control")


def _bucket(frame: Any) -> str:
    """Which part of the stack a sample's own time belongs to."""
    while frame.is_synthetic and frame.parent is not None:
        frame = frame.parent  # a [self] or [await] frame is its parent's own time
    if frame.function in _WAITS:
        return "idle: event loop waiting for PostgreSQL"
    if frame.function.startswith("socket."):
        return "socket syscalls (send/recv)"
    while frame is not None and not (frame.file_path or "").endswith(".py"):
        frame = frame.parent  # built-ins and [self] count towards their caller
    path = (frame.file_path if frame is not None else "").replace("\\", "/")
    for package in _PACKAGES:
        if f"/{package}/" in path or path.endswith(f"/{package}.py"):
            return package
    if "/db/" in path:
        return "mjrelay db/"
    if "/bench/" in path:
        return "bench harness"
    return "other Python" if path else "interpreter (no Python frame)"


def _frames(frame: Any) -> Iterator[Any]:
    stack = [frame]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def package_shares(root: Any) -> list[tuple[str, float]]:
    """Exclusive (self) time per bucket, as shares of the profiled wall time."""
    totals: dict[str, float] = defaultdict(float)
    for frame in _frames(root):
        exclusive = frame.time - sum(child.time for child in frame.children)
        totals[_bucket(frame)] += max(0.0, exclusive)
    whole = sum(totals.values()) or 1.0
    return sorted(((k, v / whole) for k, v in totals.items()), key=lambda kv: -kv[1])


async def explain(url: str, params: LeaseParams) -> str:
    """EXPLAIN ANALYZE of the lock and the claim, as one claimer runs them; rolled back."""
    engine = make_engine(url, pool_size=2)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            args: dict[str, Any] = {"account_id": account_id(0), "owner": OWNER, "fence": FENCE}
            lock = await conn.execute(
                text("EXPLAIN (ANALYZE, BUFFERS) " + leasing._LOCK_ACCOUNT.text), args
            )
            # The claim as the shipped lease sends it (asyncpg's $n parameters, default policy).
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            policy = leasing.DEFAULT_POLICY
            claim = await driver.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + leasing._CLAIMS[(policy.choice, False)],
                args["account_id"], OWNER, FENCE, params.cap, None, policy.fallback_relax,
                policy.wait_s, None,
            )  # fmt: skip
            plan = [row[0] for row in lock] + [""] + [row[0] for row in claim]
            await transaction.rollback()
    finally:
        await engine.dispose()
    return "\n".join(plan)


def execution_ms(plan: str) -> float | None:
    """The claim's execution time: the last `Execution Time` line of the plan text."""
    found = re.findall(r"Execution Time: ([0-9.]+) ms", plan)
    return float(found[-1]) if found else None


async def _profiled_run(
    ctx: BenchContext, params: LeaseParams, template: str
) -> tuple[Any, RunResult, str, str]:
    from pyinstrument import Profiler

    system = MjrelayLease()
    short = dataclasses.replace(params, run_s=min(PROFILE_RUN_S, params.run_s))
    async with ctx.database("lease_profile", template) as url:
        before = await explain(url, params)
        await system.open(url, short)
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        try:
            result = await drive(system, short)
        finally:
            profiler.stop()
            await system.close()
        after = await explain(url, params)
    return profiler, result, before, after


async def profile_ours(
    ctx: BenchContext, params: LeaseParams, template: str, results: list[RunResult]
) -> tuple[list[str], list[Table]]:
    """Profile and experiment on mjrelay's lease; write the attachment; notes and tables."""
    try:
        profiler, run, before, after = await _profiled_run(ctx, params, template)
    except ImportError:
        return ["pyinstrument is not installed: no profile attached."], []
    rounds = 2 if ctx.scale == "full" else 1
    experiment_params = dataclasses.replace(params, run_s=min(PROFILE_RUN_S, params.run_s))
    table, findings = await experiments.compare(ctx, experiment_params, template, rounds)
    shares = package_shares(profiler.last_session.root_frame())
    cpu = cpu_lines(results)
    body = [
        f"mjrelay lease profile, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"profiled run: {run.leases:,} leases in {run.elapsed_s:.2f} s ({run.rate:,.0f}/s,"
        " slowed by the profiler)",
        "",
        "== CPU split of the measured runs (median) ==",
        *cpu,
        "",
        "== Event-loop thread time by package (pyinstrument self time) ==",
        *(f"{share:6.1%}  {name}" for name, share in shares),
        "",
        "== Top functions by self time ==",
        _head(profiler.output_text(flat=True), 40),
        "== Call tree ==",
        profiler.output_text(),
        "== EXPLAIN ANALYZE on the seeded clone: lock_account_for_lease, then claim_pending ==",
        before,
        "",
        f"== The same after the profiled run completed {run.leases:,} tasks ==",
        after,
    ]
    (ctx.plots_dir / PROFILE_FILE).write_text("\n".join(body) + "\n")
    top = ", ".join(f"{name} {share:.0%}" for name, share in shares[:5])
    notes = [
        "CPU during the runs: " + "; ".join(cpu) + ".",
        f"Event-loop thread of an mjrelay run by package: {top}. Wall time inside socket"
        " send()/recv() is mostly the thread waiting for a core (1-minute load average"
        f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores when profiled).",
        *findings,
    ]
    ms_before, ms_after = execution_ms(before), execution_ms(after)
    if ms_before is not None and ms_after is not None:
        scans = re.findall(r"Seq Scan on tasks t .*rows=([0-9]+)", before)
        scanned = f" (its plan reads all {int(scans[0]):,} task rows)" if scans else ""
        skipped = re.findall(r"Rows Removed by Filter: ([0-9]+)", after.split("Update on", 1)[-1])
        walked = (
            f", its candidate scan stepping over {int(skipped[0]):,} non-pending rows first"
            if skipped
            else ""
        )
        notes.append(
            f"One claim (`claim_pending`) on the seeded database took {ms_before:.1f} ms"
            f"{scanned}; after {run.leases:,} tasks completed, {ms_after:.1f} ms{walked}."
        )
    notes.append(
        f"Profile, CPU split and query plans: [bench/{PROFILE_FILE}](bench/{PROFILE_FILE})."
    )
    return notes, [table]


def _head(text_: str, lines: int) -> str:
    return "\n".join(text_.splitlines()[:lines]) + "\n"
