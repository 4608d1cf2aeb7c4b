"""The product scenarios (callbacks, http, e2e, sandbox) and chaos keep working, at tiny scale.

No timing is asserted (targets live in docs/benchmarks.md and docs/reliability.md): only that each
scenario runs its processes, loses nothing, and writes its report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos.report import write_report
from bench.chaos.run import ChaosParams, figures, run_chaos
from bench.harness import BenchContext, Server
from bench.http.scenario import wrk_path
from bench.product import drop_template
from bench.run import run_bench


@pytest.mark.timeout(180)
async def test_product_scenarios_write_report(pg_server_url: str, tmp_path: Path) -> None:
    names = ["callbacks", "e2e", "sandbox"] + (["http", "web_processes"] if wrk_path() else [])
    results = await run_bench(
        Server(pg_server_url), names, scale="smoke", out_dir=tmp_path, progress=False
    )
    by = {r.name: r for r in results}
    callbacks = by["callbacks"]
    lost = next(f for f in callbacks.figures if f.measure.startswith("callbacks lost"))
    assert lost.ours == 0 and lost.baseline_value == 0
    assert all(f.ours > 0 for f in callbacks.figures if f.unit == "ms")
    e2e = by["e2e"]
    assert e2e.figures and e2e.figures[0].ours != 0
    assert "did not reach SUCCESS" not in " ".join(e2e.notes)
    if "http" in by:
        assert all(f.ours > 0 and f.baseline_value for f in by["http"].figures)
        assert not any("responses were errors" in note for note in by["http"].notes)
    if "web_processes" in by:
        processes = by["web_processes"]
        assert all(f.ours > 0 and f.baseline_value for f in processes.figures)
        assert not any("responses were errors" in note for note in processes.notes)
    sandbox = by["sandbox"]
    assert all(f.ours > 0 and f.baseline_value for f in sandbox.figures)
    report = (tmp_path / "benchmarks.md").read_text()
    for title in ("## Callback latency", "## End to end", "## Sandbox capacity"):
        assert title in report


@pytest.mark.timeout(180)
async def test_chaos_smoke_loses_nothing(pg_server_url: str, tmp_path: Path) -> None:
    ctx = BenchContext(Server(pg_server_url), "smoke", tmp_path, progress_bars=False)
    params = ChaosParams(tasks=6, kills=2, accounts=2, mean_gap_s=1.5, drain_s=60.0, seed=3)
    try:
        out = await run_chaos(ctx, params)
    finally:
        await drop_template(ctx)
    assert len(out.acknowledged) == params.tasks
    assert len(out.kills) == params.kills
    missed = [f.measure for f in figures(out) if f.met is False]
    assert missed == [], (missed, out.statuses, ctx.out_dir)
    assert write_report(ctx, out).read_text().startswith("# Reliability")
