"""Scenario `web_processes`: fetch req/s of `mjrelay web --workers 2` against `--workers 1`.

Both are the real command (`python -m app.cli web --workers N`) on the same seeded database,
driven by `wrk` (one thread, the same connections and duration as scenario `http`) over the same
200 finished tasks; runs alternate between the two. On a 2-core machine the load generator and
PostgreSQL share the cores with the web processes, so 2× is out of reach: the ratio says how much
of the second core a second process turns into requests.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time

import psutil

from bench import product
from bench.cpu import _server_cpu
from bench.harness import BenchContext
from bench.http.scenario import (
    FULL,
    SMOKE,
    HttpParams,
    WrkRun,
    _fetch_script,
    parse_wrk,
    seed_finished_tasks,
    wrk,
    wrk_path,
)
from bench.product import free_port, log_dir
from bench.registry import scenario
from bench.results import Figure, ScenarioResult, Table

PROCESSES = (1, 2)


def summary(params: HttpParams) -> str:
    return (
        f"`mjrelay web --workers 2` vs `--workers 1` (each the real command, a supervisor and its "
        f"web processes on one port): wrk, one thread, {params.connections} keep-alive "
        f"connections, {params.duration_s:g} s per run, {params.rounds} run(s) each, alternating; "
        "`GET /mj/task/{id}/fetch` (novicezk) over 200 finished tasks chosen at random."
    )


@scenario("web_processes", "Multi-process web (2 processes vs 1)", budget_s=40)
async def run(ctx: BenchContext) -> ScenarioResult:
    params = FULL if ctx.scale == "full" else SMOKE
    started = time.monotonic()
    result = ScenarioResult(
        "web_processes", "Multi-process web (2 processes vs 1)", summary(params)
    )
    if wrk_path() is None:
        result.notes.append("skipped: `wrk` is not installed (`apt-get install wrk`).")
        return result
    logs = log_dir("web_processes")
    template = await product.migrated_template(ctx)
    runs: list[WrkRun] = []
    async with ctx.database("webproc", template) as url:
        ids = await seed_finished_tasks(url)
        script = _fetch_script(ids, logs / "fetch.lua")
        servers: dict[int, tuple[int, product.Process]] = {}
        try:
            for n in PROCESSES:
                port = free_port()
                env = product.product_env(url, PORT=str(port), MJRELAY_HOST="127.0.0.1")
                servers[n] = (port, product.python_module(
                    f"web-x{n}", "app.cli", ["web", "--workers", str(n)], env, logs
                ))  # fmt: skip
            for port, process in servers.values():
                await product.wait_until_ready(port, process, timeout_s=60)
                if params.warmup_s:
                    await wrk(port, script, params, params.warmup_s)
            for round_ in range(params.rounds):
                for n, (port, process) in servers.items():
                    tree, pg0 = _tree_cpu(process.pid), _server_cpu(ctx.server.postmaster_pid)
                    out = await wrk(port, script, params, params.duration_s)
                    found = parse_wrk(out, WrkRun(f"{n} process(es)", "fetch", round_))
                    if found.requests:
                        found.server_cpu_us = (_tree_cpu(process.pid) - tree) * 1e6 / found.requests
                        pg = _server_cpu(ctx.server.postmaster_pid)
                        spent = sum(max(0.0, v - pg0.get(k, 0.0)) for k, v in pg.items())
                        found.pg_cpu_us = spent * 1e6 / found.requests
                    runs.append(found)
        finally:
            for _port, process in servers.values():
                await process.stop(timeout_s=20)
    result.figures = figures(runs)
    result.tables.append(
        Table(
            "Every run",
            (
                "processes",
                "run",
                "requests",
                "req/s",
                "errors",
                "p50 ms",
                "p99 ms",
                "web CPU µs/req",
                "PostgreSQL CPU µs/req",
            ),
            tuple(
                (
                    r.server,
                    str(r.round + 1),
                    f"{r.requests:,}",
                    f"{r.rate:,.0f}",
                    str(r.errors),
                    f"{r.latency_ms.get('50', 0):.1f}",
                    f"{r.latency_ms.get('99', 0):.1f}",
                    f"{r.server_cpu_us:,.0f}",
                    f"{r.pg_cpu_us or 0:,.0f}",
                )
                for r in runs
            ),
        )
    )
    load = os.getloadavg()[0]
    result.notes.append(
        f"Where the time goes: web CPU per request is the sum over the supervisor and its web "
        f"processes, PostgreSQL's over its backends. A second process helps only when a core is "
        f"free: the 1-minute load average was {load:.1f} on {os.cpu_count()} cores at the end of "
        "the runs (wrk, PostgreSQL, and whatever else runs on the machine share them), and two "
        "processes spend more CPU per request than one (two event loops, two pools, more context "
        "switches)."
    )
    if any(r.errors for r in runs):
        result.notes.append("Some responses were errors: see the table.")
    result.elapsed_s = time.monotonic() - started
    return result


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the supervisor and its web processes)."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def figures(runs: list[WrkRun]) -> list[Figure]:
    def median(n: int) -> float:
        rates = [r.rate for r in runs if r.server == f"{n} process(es)"]
        return statistics.median(rates) if rates else 0.0

    return [Figure("fetch req/s, 2 web processes", median(2), "req/s", "1 web process", median(1))]
