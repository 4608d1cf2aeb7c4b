"""Scenario `lease`: 100 accounts × cap 3, claim + complete, mjrelay vs pgqueuer and procrastinate.

Each system gets a template database (schema + seeded jobs) on the shared server; every run
clones it, so each run starts from the same fresh state. Runs are interleaved across systems
(round-robin, order rotated per round) so drift in machine load hits all systems alike. The
figure per system is the median run. Every run also checks exactly-once: the jobs the claimers
counted must equal the completed rows in the database.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections import Counter

from bench import waits
from bench.cpu import CpuMeter
from bench.harness import BenchContext, database_name, vacuum_analyze
from bench.lease import diagnose, plots
from bench.lease.ours import MjrelayLease
from bench.lease.workload import FULL, SMOKE, LeaseParams, LeaseSystem, RunResult, drive
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table, Target

TARGET_RATE = 2_000.0
TARGET_RATIO = 1.0


class LeaseBenchError(Exception):
    """A system claimed a job twice or lost one: the run's figure would be meaningless."""


def available_systems() -> tuple[list[LeaseSystem], list[str]]:
    """mjrelay always; each baseline whose library is installed (`pip install -e .[bench]`)."""
    systems: list[LeaseSystem] = [MjrelayLease()]
    missing = []
    if importlib.util.find_spec("pgqueuer"):
        from bench.lease.pgqueuer_side import PgqueuerLease

        systems.append(PgqueuerLease())
    else:
        missing.append("pgqueuer")
    if importlib.util.find_spec("procrastinate"):
        from bench.lease.procrastinate_side import ProcrastinateLease

        systems.append(ProcrastinateLease())
    else:
        missing.append("procrastinate")
    return systems, missing


async def prepare_template(ctx: BenchContext, system: LeaseSystem, params: LeaseParams) -> str:
    url = await ctx.create_database(f"lease_tpl_{system.name}")
    await system.install(url)
    await system.seed(url, params)
    await vacuum_analyze(url)
    return database_name(url)


async def measure_run(
    ctx: BenchContext, system: LeaseSystem, params: LeaseParams, template: str, round_: int
) -> RunResult:
    async with ctx.database(f"lease_{system.name}", template) as url:
        await system.open(url, params)
        meter = CpuMeter(ctx.server.postmaster_pid)
        async with waits.sampling(url) as counts:
            meter.start()
            try:
                result = await drive(system, params, round_)
            finally:
                cpu = meter.stop()
                await system.close()
        result.cpu = cpu
        result.waits = counts
        result.completed_rows = await system.completed(url)
    if result.completed_rows != result.leases:
        raise LeaseBenchError(
            f"{system.name} round {round_}: claimers counted {result.leases} leases but the"
            f" database holds {result.completed_rows} completed jobs"
        )
    return result


async def run_rounds(
    ctx: BenchContext, systems: list[LeaseSystem], params: LeaseParams, templates: dict[str, str]
) -> list[RunResult]:
    bar = ctx.progress(params.rounds * len(systems), "lease", unit="run")
    results = []
    try:
        for round_ in range(params.rounds):
            shift = round_ % len(systems)
            for system in systems[shift:] + systems[:shift]:
                result = await measure_run(ctx, system, params, templates[system.name], round_)
                results.append(result)
                bar.set_postfix_str(f"{system.name} {result.rate:,.0f} leases/s")
                bar.update(1)
    finally:
        bar.close()
    return results


def median_rates(results: list[RunResult]) -> dict[str, float]:
    by_system: dict[str, list[float]] = {}
    for result in results:
        by_system.setdefault(result.system, []).append(result.rate)
    return {name: statistics.median(rates) for name, rates in by_system.items()}


def figures(rates: dict[str, float], params: LeaseParams) -> list[Figure]:
    ours = rates["mjrelay"]
    measure = f"gated leases/s, {params.accounts} accounts × cap {params.cap}"
    found = [Figure(measure, ours, "leases/s", target=Target("≥ 2,000 leases/s", TARGET_RATE))]
    for name, rate in rates.items():
        if name == "mjrelay":
            continue
        target = Target("≥ 1.0×", TARGET_RATIO, on="ratio") if name == "pgqueuer" else None
        found.append(Figure(measure, ours, "leases/s", f"{name} (ungated)", rate, target))
    return found


def runs_table(results: list[RunResult]) -> Table:
    rows = []
    for r in sorted(results, key=lambda r: (r.system, r.round)):
        client = f"{r.cpu.client_s:.1f}" if r.cpu else "–"
        server = f"{r.cpu.server_s:.1f}" if r.cpu and r.cpu.server_s is not None else "–"
        per_k = "–"
        if r.cpu and r.leases:
            server_ms = (r.cpu.server_s or 0.0) * 1e6 / r.leases
            per_k = f"{r.cpu.client_s * 1e6 / r.leases:,.0f} / {server_ms:,.0f}"
        rows.append(
            (
                r.system,
                str(r.round + 1),
                f"{r.leases:,}",
                f"{r.elapsed_s:.2f}",
                f"{r.rate:,.0f}",
                client,
                server,
                per_k,
            )
        )
    headers = (
        "system",
        "run",
        "leases",
        "seconds",
        "leases/s",
        "client CPU s",
        "server CPU s",
        "CPU µs per lease (client / server)",
    )
    return Table("Every run", headers, tuple(rows))


def waits_table(results: list[RunResult]) -> Table:
    by: dict[str, Counter[str]] = {}
    for result in results:
        by.setdefault(result.system, Counter()).update(result.waits)
    rows = tuple(
        (name, "; ".join(f"{label} {share:.0%}" for label, share in waits.shares(counts)))
        for name, counts in by.items()
    )
    return Table(
        "What the PostgreSQL backends were doing (pg_stat_activity, sampled every 50 ms)",
        ("system", "share of samples"),
        rows,
    )


def summary(params: LeaseParams, systems: list[LeaseSystem]) -> str:
    lines = [
        f"{params.accounts} concurrent claimers (one per account) over {params.connections}"
        f" connections claim and complete jobs from {params.tasks:,} pending ones, for at most"
        f" {params.run_s:g} s per run, {params.rounds} run(s) per system, interleaved. mjrelay's"
        f" claims are gated (each account holds at most {params.cap} active tasks, enforced in"
        " SQL); the baselines claim up to the same batch size with no gate. Each run starts from"
        " a fresh clone of its system's seeded database.",
        "",
    ]
    lines += [f"- **{s.name}**: {s.description}" for s in systems]
    return "\n".join(lines)


@scenario("lease", "Lease throughput (claim + complete)", budget_s=150)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    return await run_lease(ctx, params)


async def run_lease(ctx: BenchContext, params: LeaseParams) -> ScenarioResult:
    started = time.monotonic()
    systems, missing = available_systems()
    templates = {s.name: await prepare_template(ctx, s, params) for s in systems}
    try:
        results = await run_rounds(ctx, systems, params, templates)
        rates = median_rates(results)
        result = ScenarioResult(
            "lease", "Lease throughput (claim + complete)", summary(params, systems)
        )
        result.figures = figures(rates, params)
        result.tables += [runs_table(results), waits_table(results)]
        result.plots = plots.draw(ctx, results, TARGET_RATE)
        result.notes += [
            f"{name} is not installed: `pip install -e '.[bench]'`" for name in missing
        ]
        if result.missed or ctx.profile:
            notes, tables = await diagnose.profile_ours(ctx, params, templates["mjrelay"], results)
            result.notes += notes
            result.tables += tables
    finally:
        for template in templates.values():
            await ctx.drop_database(template)
    result.elapsed_s = time.monotonic() - started
    return result
