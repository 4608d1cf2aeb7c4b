"""The benchmark harness keeps working: the lease scenario at tiny scale, in seconds.

No timing is asserted here (performance targets live in docs/benchmarks.md): only that every
system claims each seeded job exactly once, and that a run writes the report and its plots.
The baselines run when the bench extra is installed (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench.harness import BenchContext, Server
from bench.lease.ours import MjrelayLease
from bench.lease.scenario import measure_run, prepare_template
from bench.lease.workload import LeaseParams, LeaseSystem
from bench.run import run_bench

TINY = LeaseParams(accounts=4, cap=3, tasks=40, rounds=1, run_s=30.0, connections=4)


def _system(name: str) -> LeaseSystem:
    if name == "mjrelay":
        return MjrelayLease()
    pytest.importorskip(name)
    if name == "pgqueuer":
        from bench.lease.pgqueuer_side import PgqueuerLease

        return PgqueuerLease()
    from bench.lease.procrastinate_side import ProcrastinateLease

    return ProcrastinateLease()


@pytest.mark.parametrize("name", ["mjrelay", "pgqueuer", "procrastinate"])
async def test_lease_system_claims_every_job_once(
    name: str, pg_server_url: str, tmp_path: Path
) -> None:
    system = _system(name)
    ctx = BenchContext(Server(pg_server_url), "smoke", tmp_path, progress_bars=False)
    template = await prepare_template(ctx, system, TINY)
    try:
        result = await measure_run(ctx, system, TINY, template, 0)
    finally:
        await ctx.drop_database(template)
    assert result.leases == TINY.tasks
    assert result.completed_rows == TINY.tasks
    assert sum(n for _, n in result.timeline) == TINY.tasks
    assert result.waits  # the pg_stat_activity sampler saw the claimers


async def test_bench_run_writes_report(pg_server_url: str, tmp_path: Path) -> None:
    results = await run_bench(
        Server(pg_server_url), ["lease"], scale="smoke", out_dir=tmp_path, progress=False
    )
    (lease,) = results
    assert lease.figures and lease.figures[0].ours > 0
    report = (tmp_path / "benchmarks.md").read_text()
    assert "## Lease throughput" in report
    assert "## Machine" in report
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "bench" / "lease-throughput.png").stat().st_size > 0
        assert "bench/lease-throughput.png" in report
